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
