import Eligibility
import Fluent
import Foundation
import SQLKit
import Vapor

/// The renewal part of `getyour jobs` (P11, issue 12):
/// - **Reminders** 60, 30 and 7 days (settings) before a household's first expiry, email and
///   text in the person's language. Each is sent once per enrollment period: a row in
///   `renewal_reminders` (unique per household, first expiry and reminder) is inserted in the
///   same transaction as the outbox message, so a restart or a second worker sends nothing
///   twice. None once a renewal is submitted.
/// - **Expiry**: an enrollment past its grace period with no renewal submitted becomes
///   `expired` (reason `lapsed`); the resident is told; the coordinator list shows it.
enum RenewalJobs {
    struct Summary: Sendable, Equatable {
        var reminders = 0
        var expired = 0
    }

    private struct Due: Decodable {
        let household_id: UUID
        let first_expiry: Date
    }

    static func run(_ app: Application) async throws -> Summary {
        let db = app.db(.primary), sql = db as! any SQLDatabase
        let now = app.clock.now(), schedule = app.settings.renewal
        let calendar = RenewalDates(timeZone: Request.cityTimeZone).calendar
        var summary = Summary()

        // Households whose first expiry is within the widest reminder window, and that have
        // no renewal with staff (submitted or waiting for more information).
        if let widest = schedule.reminderDays.first {
            let horizon = now.addingTimeInterval(Double(widest + 1) * 86_400)
            let due = try await sql.raw(
                """
                SELECT e.household_id, MIN(e.expires_at) AS first_expiry FROM enrollments e
                WHERE e.status = 'enrolled' AND e.expires_at IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM applications r WHERE r.household_id = e.household_id
                                  AND r.kind = 'renewal' AND r.status IN ('submitted', 'needs_info'))
                GROUP BY e.household_id
                HAVING MIN(e.expires_at) <= \(bind: horizon) AND MIN(e.expires_at) >= \(bind: calendar.startOfDay(for: now))
                """
            ).all(decoding: Due.self)
            // The reminders already sent for periods still running, read once for the round.
            var sentFor: [UUID: [(Date, Int)]] = [:]
            for reminder in try await RenewalReminder.query(on: db).filter(\.$firstExpiry >= calendar.startOfDay(for: now)).all() {
                sentFor[reminder.$household.id, default: []].append((reminder.firstExpiry, reminder.daysBefore))
            }
            for household in due {
                let sent = (sentFor[household.household_id] ?? []).filter { $0.0 == household.first_expiry }.map(\.1)
                guard
                    let days = schedule.reminderDue(
                        firstExpiry: household.first_expiry, now: now, sent: Set(sent), calendar: calendar)
                else { continue }
                if try await remind(app, household: household.household_id, firstExpiry: household.first_expiry, days: days, now: now) {
                    summary.reminders += 1
                    if sent.isEmpty { app.recordEvent(.renewalOpened, household: household.household_id) }
                }
            }
        }

        // Enrollments past their grace period, of households with no renewal with staff.
        let cutoff = now.addingTimeInterval(-Double(schedule.graceDays) * 86_400)
        let lapsed = try await Enrollment.query(on: db).filter(\.$status == .enrolled).filter(\.$expiresAt < cutoff).with(\.$program).all()
        for enrollment in lapsed {
            guard let expiry = enrollment.expiresAt, schedule.hasLapsed(expiry: expiry, now: now, calendar: calendar) else { continue }
            if try await expire(app, enrollment, now: now) { summary.expired += 1 }
        }
        return summary
    }

    /// Records the reminder and queues its messages in one transaction; false when another
    /// worker recorded it first.
    static func remind(_ app: Application, household: UUID, firstExpiry: Date, days: Int, now: Date) async throws -> Bool {
        try await app.db(.primary).writeTransaction { db in
            let inserted = try await (db as! any SQLDatabase).raw(
                """
                INSERT INTO renewal_reminders (id, household_id, first_expiry, days_before, sent_at)
                VALUES (\(bind: UUID()), \(bind: household), \(bind: firstExpiry), \(bind: days), \(bind: now))
                ON CONFLICT (household_id, first_expiry, days_before) DO NOTHING RETURNING id
                """
            ).all()
            guard !inserted.isEmpty else { return false }
            try await app.outbox(on: db).enqueue(.renewalReminder, household: household) { user in
                MessageData(
                    name: user.firstName, link: app.link(to: .dashboard),
                    date: Request.longDateFormatter(user.preferredLanguage).string(from: firstExpiry))
            }
            return true
        }
    }

    /// Ends one enrollment after its grace period, unless a renewal is with staff; tells the
    /// household; audited as the system. False when nothing changed.
    static func expire(_ app: Application, _ enrollment: Enrollment, now: Date) async throws -> Bool {
        let householdID = enrollment.$household.id, program = enrollment.program
        let changed = try await app.db(.primary).writeTransaction { db -> Bool in
            let rows = try await (db as! any SQLDatabase).raw(
                """
                UPDATE enrollments SET status = 'expired', end_reason = 'lapsed', ended_at = \(bind: now)
                WHERE id = \(bind: try enrollment.requireID()) AND status = 'enrolled'
                  AND NOT EXISTS (SELECT 1 FROM applications r WHERE r.household_id = \(bind: householdID)
                                  AND r.kind = 'renewal' AND r.status IN ('submitted', 'needs_info'))
                RETURNING id
                """
            ).all()
            guard !rows.isEmpty else { return false }
            try await AuditEvent(
                actorID: "system", actorRole: "system", action: .enrollmentExpired,
                subject: .init(household: householdID, program: program.slug), requestID: "jobs", at: now
            ).create(on: db)
            try await app.outbox(on: db).enqueue(.enrollmentExpired, household: householdID) { user in
                MessageData(
                    name: user.firstName, link: app.link(to: .dashboard), program: program.name(user.preferredLanguage),
                    date: String(app.settings.renewal.graceDays))
            }
            return true
        }
        if changed {
            app.recordEvent(.expired, household: householdID, detail: program.slug)
            app.staffCounts.invalidate()
        }
        return changed
    }
}

/// One renewal reminder sent (see `RenewalJobs`).
final class RenewalReminder: Model, @unchecked Sendable {
    static let schema = "renewal_reminders"

    @ID(key: .id) var id: UUID?
    @Parent(key: "household_id") var household: Household
    @Field(key: "first_expiry") var firstExpiry: Date
    @Field(key: "days_before") var daysBefore: Int
    @Field(key: "sent_at") var sentAt: Date

    init() {}
}
