// Exit statuses of the gfn command, from BSD's sysexits(3), so that shells and CI can tell a
// usage mistake from a failing script from a missing file.

/// The process exit status of a gfn command.
public enum ExitStatus: Int32, Sendable, Error {
    /// Everything ran.
    case ok = 0
    /// The command line was wrong (EX_USAGE): an unknown option, a malformed or unknown setting.
    case usage = 64
    /// The script had an error (EX_DATAERR): syntax, name, runtime error or a failed assert.
    case scriptError = 65
    /// An input file does not exist or cannot be read (EX_NOINPUT).
    case missingInput = 66
    /// A bug or an environment failure in gfn itself (EX_SOFTWARE).
    case internalError = 70
    /// Cannot write an output file, e.g. the report (EX_CANTCREAT).
    case cannotCreate = 73
    /// Stopped by Ctrl-C (128 + SIGINT, the shell convention).
    case interrupted = 130
}
