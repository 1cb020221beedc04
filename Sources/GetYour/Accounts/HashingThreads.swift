import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc

    /// glibc's `gettid` (a GNU extension the Glibc module does not bring in).
    @_silgen_name("gettid") private func glibcThreadID() -> Int32
#endif

/// A fixed set of threads for password hashing, apart from the event loops and from the
/// thread pool that serves files. bcrypt at cost 12 takes about a quarter of a second of one
/// core: a burst of sign-ins waits here for a thread, in order, and never holds up a page or a
/// file read. The threads run at a lower scheduling priority (nice 10 on Linux), so pages
/// being rendered take the cores first and hashing gets what is left; with nothing else to
/// do, hashing uses every thread. The threads are named `bcrypt-N`, so `top -H` and
/// `scripts/bench` can tell their CPU time apart.
final class HashingThreads: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
    }

    private let state = Mutex(State())
    private let ready: DispatchSemaphore
    let count: Int

    /// One set for the process, as many threads as cores, like NIO's own singletons.
    static let shared = HashingThreads(threads: ProcessInfo.processInfo.activeProcessorCount)

    /// Lower priority (a higher nice value) for the hashing threads.
    static let niceness: Int32 = 10

    init(threads: Int) {
        count = max(1, threads)
        ready = DispatchSemaphore(value: 0)
        for index in 1...count {
            let thread = Thread { [self] in self.work(name: "bcrypt-\(index)") }
            thread.stackSize = 512 * 1024
            thread.start()
        }
    }

    /// Runs `job` on a hashing thread and returns its result.
    func run<T: Sendable>(_ job: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            state.withLock { $0.jobs.append { continuation.resume(with: Result { try job() }) } }
            ready.signal()
        }
    }

    /// Jobs waiting for a thread (for tests and metrics).
    var waiting: Int { state.withLock { $0.jobs.count - $0.head } }

    private func work(name: String) {
        Thread.current.name = name
        #if canImport(Glibc)
            // On Linux the nice value is per thread: this lowers only the calling thread.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(glibcThreadID()), Self.niceness)
        #endif
        while true {
            ready.wait()
            let job = state.withLock { state -> (@Sendable () -> Void) in
                let job = state.jobs[state.head]
                state.head += 1
                if state.head > 64, state.head * 2 > state.jobs.count {
                    state.jobs.removeFirst(state.head)
                    state.head = 0
                }
                return job
            }
            job()
        }
    }
}
