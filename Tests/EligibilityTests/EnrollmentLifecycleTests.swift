import Foundation
import Testing

@testable import Eligibility

@Suite("Enrollment decisions and renewal dates (P4, P7, P11)")
struct EnrollmentLifecycleTests {
    @Test(arguments: [
        (
            LifecycleActor.coordinator, EnrollmentAction.enroll, EnrollmentStatus.applied, true,
            Result<EnrollmentStatus, EnrollmentRefusal>.success(.enrolled)
        ),
        (.admin, .decline, .applied, true, .success(.declined)),
        (.verifier, .enroll, .applied, true, .failure(.notAllowed)),
        (.resident, .enroll, .applied, true, .failure(.notAllowed)),
        (.coordinator, .enroll, .applied, false, .failure(.notVerified)),
        (.coordinator, .enroll, .enrolled, true, .failure(.notApplied)),
        (.coordinator, .decline, .declined, true, .failure(.notApplied)),
        (.admin, .enroll, .expired, true, .failure(.notApplied)),
        (.coordinator, .decline, .withdrawn, true, .failure(.notApplied)),
    ])
    func whoMayDecideWhat(
        actor: LifecycleActor, action: EnrollmentAction, from: EnrollmentStatus, verified: Bool,
        expected: Result<EnrollmentStatus, EnrollmentRefusal>
    ) {
        #expect(EnrollmentLifecycle.decide(actor, action, from: from, householdVerified: verified) == expected)
    }

    static let denver = TimeZone(identifier: "America/Denver")!

    func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = Self.denver
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withTimeZone]
        return formatter.date(from: text)!
    }

    func day(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Self.denver
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!, parts.second!)
    }

    @Test(arguments: [
        // verified (in Denver), years, last valid moment (in Denver)
        ("2026-03-15T10:00:00-06:00", 1, "2027-03-15 23:59:59"),
        ("2026-03-15T10:00:00-06:00", 2, "2028-03-15 23:59:59"),
        // 29 February: the last day of February in a year without it.
        ("2028-02-29T09:00:00-07:00", 1, "2029-02-28 23:59:59"),
        ("2028-02-29T09:00:00-07:00", 4, "2032-02-29 23:59:59"),
        // Late evening in Denver is already the next day in UTC: the city's day counts.
        ("2026-12-31T23:30:00-07:00", 1, "2027-12-31 23:59:59"),
        // Across the change to summer time.
        ("2026-11-02T08:00:00-07:00", 1, "2027-11-02 23:59:59"),
    ])
    func anEnrollmentEndsOnTheSameCityDayYearsLater(verified: String, years: Int, expected: String) throws {
        let dates = RenewalDates(timeZone: Self.denver)
        let expiry = try #require(dates.expiry(verifiedAt: date(verified), renewalYears: years))
        #expect(day(expiry) == expected)
    }

    @Test func lifetimeProgramsNeverExpire() {
        #expect(RenewalDates(timeZone: Self.denver).expiry(verifiedAt: Date(), renewalYears: 0) == nil)
    }
}
