// Running the interpreter on a thread with a large stack. Script recursion is Swift recursion
// (closures calling closures), so the depth a script may reach depends on the stack size, and
// the caller's thread may be small (secondary threads get 8 MiB or less).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

protocol LargeStackRunnable: AnyObject {
    func runJob()
}

enum LargeStack {
    static let size = 512 << 20

    /// Runs the job on a new thread with a `size` stack and waits for it.
    static func run(_ job: LargeStackRunnable) {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, size)
        let context = Unmanaged.passRetained(job as AnyObject).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t? = nil
        #endif
        let rc = pthread_create(&thread, &attr, { raw in
            let ctx = raw
            #if canImport(Glibc)
            let job = Unmanaged<AnyObject>.fromOpaque(ctx!).takeRetainedValue() as! LargeStackRunnable
            #else
            let job = Unmanaged<AnyObject>.fromOpaque(ctx).takeRetainedValue() as! LargeStackRunnable
            #endif
            job.runJob()
            return nil
        }, context)
        if rc != 0 {
            // No thread (resource limits): run here; deep recursion then hits the smaller stack.
            Unmanaged<AnyObject>.fromOpaque(context).release()
            job.runJob()
            return
        }
        #if canImport(Glibc)
        pthread_join(thread, nil)
        #else
        pthread_join(thread!, nil)
        #endif
    }
}
