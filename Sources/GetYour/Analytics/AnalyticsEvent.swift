import Crypto
import Eligibility
import Foundation
import Synchronization
import Vapor

/// One product event as analytics sees it (P9): what happened, when, to which household —
/// the household only as a pseudonym — and a code (a step, a reason code, a program slug).
/// Never a name, an email, an address, a file name or anything a person typed.
struct AnalyticsEvent: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        case stepCompleted = "step_completed"
        case submitted
        case documentRejected = "document_rejected"
        case informationRequested = "information_requested"
        case verified
        case denied
        case enrolled
        case declined
        case renewalOpened = "renewal_opened"
        case renewalStarted = "renewal_started"
        case renewalSubmitted = "renewal_submitted"
        case renewalVerified = "renewal_verified"
        case expired
    }

    let kind: Kind
    /// `AnalyticsPseudonym.of(household)`: 64 hex digits.
    let household: String
    /// A code: the step for `step_completed`, the reason code for `document_rejected`, the
    /// program slug for `enrolled` and `declined`; nil otherwise.
    let detail: String?
    /// Whole days from submission to the decision, for `verified`.
    let days: Int?
    let occurredAt: Date
    /// The city's calendar day (`YYYY-MM-DD`) and the Monday that starts its week.
    let day: String
    let week: String

    /// The funnel stage this event reaches, if it is one (`AnalyticsFunnel.stages`).
    var stage: String? {
        switch kind {
        case .stepCompleted: detail
        case .submitted: "submitted"
        case .verified: "verified"
        case .enrolled: "enrolled"
        default: nil
        }
    }
}

/// The household pseudonym: HMAC-SHA256 under a key derived from `security.secret_key`
/// (so analytics pseudonyms differ from every other HMAC the app makes). The same household
/// always maps to the same value, and nobody without the secret can go back from it.
struct AnalyticsPseudonym: Sendable {
    private let key: SymmetricKey

    init(secret: String) {
        let derived = HMAC<SHA256>.authenticationCode(
            for: Data("getyour analytics household pseudonym v1".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        key = SymmetricKey(data: Data(derived))
    }

    func of(_ household: UUID) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(household.uuidString.lowercased().utf8), using: key)
            .hexString
    }
}

/// City-calendar days and weeks (Monday first), as analytics groups them.
struct AnalyticsCalendar: Sendable {
    let calendar: Calendar

    init(timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        calendar.firstWeekday = 2
        calendar.minimumDaysInFirstWeek = 4
        self.calendar = calendar
    }

    func day(_ date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    /// The Monday that starts `date`'s week, as `YYYY-MM-DD`.
    func week(_ date: Date) -> String { day(weekStart(date)) }

    func weekStart(_ date: Date) -> Date {
        calendar.dateInterval(of: .weekOfYear, for: date)?.start ?? calendar.startOfDay(for: date)
    }

    /// Whole city days between two instants (never negative).
    func days(from start: Date, to end: Date) -> Int {
        max(0, calendar.dateComponents([.day], from: calendar.startOfDay(for: start), to: calendar.startOfDay(for: end)).day ?? 0)
    }
}

extension Application {
    /// Queues a product event for the analytics database (never waits, never fails a
    /// request). Call it after the change it reports has committed.
    func recordEvent(_ kind: AnalyticsEvent.Kind, household: UUID, detail: String? = nil, submittedAt: Date? = nil) {
        let now = clock.now()
        let calendar = AnalyticsCalendar(timeZone: Request.cityTimeZone)
        analytics.record(
            event: AnalyticsEvent(
                kind: kind, household: AnalyticsPseudonym(secret: settings.security.secretKey).of(household), detail: detail,
                days: submittedAt.map { calendar.days(from: $0, to: now) }, occurredAt: now, day: calendar.day(now),
                week: calendar.week(now)))
    }
}

/// Events a transaction produces, recorded only once it has committed (a rolled-back
/// decision leaves no event).
final class PendingEvents: Sendable {
    struct Pending: Sendable {
        let kind: AnalyticsEvent.Kind
        let household: UUID
        let detail: String?
        let submittedAt: Date?
    }

    private let items = Mutex<[Pending]>([])

    func add(_ kind: AnalyticsEvent.Kind, household: UUID, detail: String? = nil, submittedAt: Date? = nil) {
        items.withLock { $0.append(Pending(kind: kind, household: household, detail: detail, submittedAt: submittedAt)) }
    }

    func record(on app: Application) {
        for item in items.withLock({ $0 }) {
            app.recordEvent(item.kind, household: item.household, detail: item.detail, submittedAt: item.submittedAt)
        }
    }
}
