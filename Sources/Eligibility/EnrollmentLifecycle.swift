import Foundation

/// A household's place in one benefit program (P2, P4, P7, issue 11): which statuses exist,
/// who may enroll or decline, and when. Pure rules, table-tested.
public enum EnrollmentStatus: String, Sendable, CaseIterable, Codable {
    /// The household asked for the program (or was applied automatically); the department decides.
    case applied
    case enrolled
    /// The department said no, with a reason the resident reads.
    case declined
    /// The enrollment ran out without a renewal (issue 12).
    case expired
    case withdrawn
}

/// A coordinator's decision on one enrollment.
public enum EnrollmentAction: String, Sendable, CaseIterable {
    case enroll, decline
}

/// Why a decision cannot be taken; the coordinator reads it next to the household's name.
public enum EnrollmentRefusal: String, Sendable, Error, Equatable {
    /// Only coordinators (of the program) and admins decide on enrollments.
    case notAllowed = "not_allowed"
    /// The household's application is not (or no longer) verified.
    case notVerified = "not_verified"
    /// The enrollment was already decided (or ended): nothing to decide.
    case notApplied = "not_applied"
}

public enum EnrollmentLifecycle {
    /// The status `action` leads to, or why it may not be taken. Enrolling and declining need
    /// an `applied` enrollment of a household whose application is verified (P4).
    public static func decide(
        _ actor: LifecycleActor, _ action: EnrollmentAction, from status: EnrollmentStatus, householdVerified: Bool
    ) -> Result<EnrollmentStatus, EnrollmentRefusal> {
        guard actor == .coordinator || actor == .admin else { return .failure(.notAllowed) }
        guard householdVerified else { return .failure(.notVerified) }
        guard status == .applied else { return .failure(.notApplied) }
        switch action {
        case .enroll: return .success(.enrolled)
        case .decline: return .success(.declined)
        }
    }
}

/// When things happen in the life of an enrollment (P11), in the city's time zone.
public struct RenewalDates: Sendable {
    public let calendar: Calendar

    public init(timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// The end of an enrollment: the verification date plus the program's interval in whole
    /// years, at the end of that day in the city. A date that does not exist in the target year
    /// (29 February) becomes the last day of that month. nil for a program without renewal.
    public func expiry(verifiedAt: Date, renewalYears: Int) -> Date? {
        guard renewalYears > 0 else { return nil }
        let day = calendar.dateComponents([.year, .month, .day], from: verifiedAt)
        var target = DateComponents(year: (day.year ?? 0) + renewalYears, month: day.month, day: 1)
        guard let firstOfMonth = calendar.date(from: target),
            let daysInMonth = calendar.range(of: .day, in: .month, for: firstOfMonth)?.count
        else { return nil }
        target.day = min(day.day ?? 1, daysInMonth)
        guard let start = calendar.date(from: target) else { return nil }
        // The last second of that day: the enrollment is valid all of its last day.
        return calendar.date(byAdding: DateComponents(day: 1, second: -1), to: start)
    }
}

/// The renewal calendar of one household (P11): when renewal opens, which reminder is due,
/// and when an enrollment has run out for good. Days are the city's calendar days, counted
/// from the start of the day, so "7 days before" is the same for everyone that day.
public struct RenewalSchedule: Sendable, Equatable {
    /// How many days before the first expiry renewal opens (the dashboard's call to action).
    public let opensDaysBefore: Int
    /// Reminders, in days before the first expiry (e.g. 60, 30, 7).
    public let reminderDays: [Int]
    /// Days after expiry before an enrollment without a submitted renewal becomes `expired`.
    public let graceDays: Int

    public init(opensDaysBefore: Int = 60, reminderDays: [Int] = [60, 30, 7], graceDays: Int = 30) {
        self.opensDaysBefore = opensDaysBefore
        self.reminderDays = reminderDays.sorted(by: >)
        self.graceDays = graceDays
    }

    /// Whole city days from `now` until `expiry` (negative once it has passed).
    public func daysLeft(until expiry: Date, now: Date, calendar: Calendar) -> Int {
        calendar.dateComponents([.day], from: calendar.startOfDay(for: now), to: calendar.startOfDay(for: expiry)).day ?? 0
    }

    /// Whether renewal is open: the first expiry is at most `opensDaysBefore` days away.
    public func isOpen(firstExpiry: Date?, now: Date, calendar: Calendar) -> Bool {
        guard let firstExpiry else { return false }
        return daysLeft(until: firstExpiry, now: now, calendar: calendar) <= opensDaysBefore
    }

    /// The reminder to send now, if any: the closest threshold already reached that has not
    /// been sent (`sent` holds the thresholds sent this enrollment period). A reminder whose
    /// moment passed while a closer one is also due is skipped — one message, the latest.
    /// None once the enrollment has expired.
    public func reminderDue(firstExpiry: Date, now: Date, sent: Set<Int>, calendar: Calendar) -> Int? {
        let left = daysLeft(until: firstExpiry, now: now, calendar: calendar)
        guard left >= 0 else { return nil }
        guard let reached = reminderDays.last(where: { left <= $0 }) else { return nil }
        if sent.contains(where: { $0 <= reached }) { return nil }
        return reached
    }

    /// Whether an enrollment that ended at `expiry` has passed its grace period at `now`.
    public func hasLapsed(expiry: Date, now: Date, calendar: Calendar) -> Bool {
        daysLeft(until: expiry, now: now, calendar: calendar) < -graceDays
    }
}
