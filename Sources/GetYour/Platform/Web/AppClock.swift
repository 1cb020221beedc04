import Foundation
import Synchronization
import Vapor

/// The one clock every part of the app reads (sessions, tokens, throttles, audit, jobs), so
/// time-travel tests can move it forward and watch links expire and reminders fall due.
public final class AppClock: Sendable {
    private let offset = Mutex<TimeInterval>(0)

    public init() {}

    public func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }

    /// Moves the clock forward (tests only; production never calls it).
    public func travel(by interval: TimeInterval) {
        offset.withLock { $0 += interval }
    }
}

private enum AppClockKey: StorageKey { typealias Value = AppClock }

extension Application {
    public var clock: AppClock {
        if let clock = storage[AppClockKey.self] { return clock }
        let clock = AppClock()
        storage[AppClockKey.self] = clock
        return clock
    }
}
