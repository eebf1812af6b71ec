// Ctrl-C while code runs. A SIGINT handler asks the running interpreter to stop (its flag is
// checked on every loop back-edge, call and progress step), so control returns to the prompt with
// every variable intact. At the prompt the line editor sees ^C as a key instead (it turns the
// terminal's signal characters off while editing), so no signal arrives there.
//
// A second Ctrl-C while the first is still pending means native code is not checking (or a training
// step, which holds the first until it ends, takes too long): the process then exits with status
// 130 rather than hanging.

#if canImport(Glibc)
@preconcurrency import Glibc
#endif
import Scripting
import Synchronization

/// Routes SIGINT to an interpreter's interrupt flag while it evaluates.
public enum InterruptHandler {
    private static let evaluating = Atomic<Bool>(false)
    private static let idleExits = Atomic<Bool>(true)
    nonisolated(unsafe) private static var target: Unmanaged<InterruptFlag>?
    nonisolated(unsafe) private static var installed: [Int32] = []

    /// Installs the handler (once per signal) for this flag; the flag must live as long as the process.
    /// `exitWhenIdle`: a Ctrl-C while nothing is evaluating ends the process (status 130), as a
    /// script run or piped input expects; the interactive REPL passes false. `signals`: SIGINT, and
    /// under mpirun also SIGTERM, which is how mpirun passes a Ctrl-C on to the ranks.
    public static func install(for flag: InterruptFlag, exitWhenIdle: Bool, signals: [Int32] = [SIGINT]) {
        idleExits.store(exitWhenIdle, ordering: .sequentiallyConsistent)
        target = Unmanaged.passRetained(flag)
        for signal in signals where !installed.contains(signal) {
            installed.append(signal)
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in InterruptHandler.handle() }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, nil)
            // A parent may have left the signal blocked; threads started later inherit this mask.
            var set = sigset_t()
            sigemptyset(&set)
            sigaddset(&set, signal)
            pthread_sigmask(SIG_UNBLOCK, &set, nil)
        }
    }

    /// Runs `body` with Ctrl-C mapped to an interrupt request; a request left over from before is
    /// dropped first.
    public static func whileEvaluating<T>(_ flag: InterruptFlag, _ body: () throws -> T) rethrows -> T {
        flag.clear()
        evaluating.store(true, ordering: .sequentiallyConsistent)
        defer {
            evaluating.store(false, ordering: .sequentiallyConsistent)
            flag.clear()
        }
        return try body()
    }

    private static func handle() {
        guard evaluating.load(ordering: .relaxed), let target else {
            if idleExits.load(ordering: .relaxed) { _exit(ExitStatus.interrupted.rawValue) }
            return
        }
        let flag = target.takeUnretainedValue()
        // Held: a training step is finishing before it stops (InterruptFlag.holdingRequests).
        if flag.isRequested || flag.isHeld {
            let message = "\ngfn: stopped (a second Ctrl-C while native code did not stop)\n"
            _ = message.withCString { Glibc.write(STDERR_FILENO, $0, strlen($0)) }
            _exit(ExitStatus.interrupted.rawValue)
        }
        flag.request()
    }
}
