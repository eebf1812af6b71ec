// Fixed-arity wrappers around libedit's variadic el_set/el_get/history calls,
// which Swift cannot call directly ("Variadic function is unavailable").
#ifndef GFN_EDIT_SHIM_H
#define GFN_EDIT_SHIM_H

#include <histedit.h>

typedef char *(*gfn_prompt_fn)(EditLine *);
typedef unsigned char (*gfn_command_fn)(EditLine *, int);

/// Sets the prompt function (EL_PROMPT). Returns 0 on success.
int gfn_el_set_prompt(EditLine *el, gfn_prompt_fn fn);
/// Sets the key-binding style, "emacs" or "vi" (EL_EDITOR).
int gfn_el_set_editor(EditLine *el, const char *mode);
/// Attaches a history object (EL_HIST).
int gfn_el_set_history(EditLine *el, History *h);
/// Registers a named editor command and binds it to a key sequence (EL_ADDFN + EL_BIND).
int gfn_el_add_command(EditLine *el, const char *name, const char *help, gfn_command_fn fn, const char *key);
/// Stores and reads back an opaque pointer for callbacks (EL_CLIENTDATA).
int gfn_el_set_clientdata(EditLine *el, void *data);
void *gfn_el_get_clientdata(EditLine *el);
/// Turns terminal signal handling on or off (EL_SIGNAL).
int gfn_el_set_signal(EditLine *el, int on);

/// Changes one terminal setting of a mode (EL_SETTY), e.g. ("-d", "-isig") lets the editor see ^C as a key.
int gfn_el_set_tty(EditLine *el, const char *mode, const char *setting);
/// Binds a key sequence to an existing editor command (EL_BIND), e.g. ("^R", "em-inc-search-prev").
int gfn_el_bind(EditLine *el, const char *key, const char *command);
/// Removes every history entry (H_CLEAR).
int gfn_history_clear(History *h, HistEvent *ev);

/// History operations: size limit, unique entries, enter, load and save.
int gfn_history_set_size(History *h, HistEvent *ev, int size);
int gfn_history_set_unique(History *h, HistEvent *ev, int unique);
int gfn_history_enter(History *h, HistEvent *ev, const char *line);
int gfn_history_load(History *h, HistEvent *ev, const char *path);
int gfn_history_save(History *h, HistEvent *ev, const char *path);

#endif
