#include "edit_shim.h"

int gfn_el_set_prompt(EditLine *el, gfn_prompt_fn fn) { return el_set(el, EL_PROMPT, fn); }
int gfn_el_set_editor(EditLine *el, const char *mode) { return el_set(el, EL_EDITOR, mode); }
int gfn_el_set_history(EditLine *el, History *h) { return el_set(el, EL_HIST, history, h); }

int gfn_el_add_command(EditLine *el, const char *name, const char *help, gfn_command_fn fn, const char *key) {
    if (el_set(el, EL_ADDFN, name, help, fn) != 0) return -1;
    return el_set(el, EL_BIND, key, name, NULL);
}

int gfn_el_set_clientdata(EditLine *el, void *data) { return el_set(el, EL_CLIENTDATA, data); }
void *gfn_el_get_clientdata(EditLine *el) {
    void *data = NULL;
    if (el_get(el, EL_CLIENTDATA, &data) != 0) return NULL;
    return data;
}
int gfn_el_set_signal(EditLine *el, int on) { return el_set(el, EL_SIGNAL, on); }

int gfn_history_set_size(History *h, HistEvent *ev, int size) { return history(h, ev, H_SETSIZE, size); }
int gfn_history_set_unique(History *h, HistEvent *ev, int unique) { return history(h, ev, H_SETUNIQUE, unique); }
int gfn_history_enter(History *h, HistEvent *ev, const char *line) { return history(h, ev, H_ENTER, line); }
int gfn_history_load(History *h, HistEvent *ev, const char *path) { return history(h, ev, H_LOAD, path); }
int gfn_history_save(History *h, HistEvent *ev, const char *path) { return history(h, ev, H_SAVE, path); }

int gfn_el_set_tty(EditLine *el, const char *mode, const char *setting) { return el_set(el, EL_SETTY, mode, setting, NULL); }
int gfn_history_clear(History *h, HistEvent *ev) { return history(h, ev, H_CLEAR); }
int gfn_el_bind(EditLine *el, const char *key, const char *command) { return el_set(el, EL_BIND, key, command, NULL); }
