import Fluent
import Foundation
import SQLKit
import Vapor

/// When a message that failed for a passing reason is tried again: exponential back-off
/// (base, 2×base, 4×base … up to a cap) with "equal jitter" (half the wait fixed, half
/// random), so messages that failed together do not all come back at the same moment.
struct RetryPolicy: Sendable {
    let maxAttempts: Int
    let base: TimeInterval
    let cap: TimeInterval

    /// The wait after failed attempt number `attempt` (1 for the first), or nil when that was
    /// the last one allowed. `random` gives a number in 0…1.
    func delay(afterAttempt attempt: Int, random: () -> Double = { Double.random(in: 0...1) }) -> TimeInterval? {
        guard attempt < maxAttempts else { return nil }
        let full = min(cap, base * pow(2, Double(max(0, attempt - 1))))
        return full / 2 + full / 2 * random()
    }
}

/// Delivers what is due in the outbox (P8): claims a batch, joins each person's due email into
/// one message, sends, and records the outcome. Several workers may run at once: a message is
/// claimed by one of them only (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the claim
/// is one `BEGIN IMMEDIATE` transaction, which writers take one at a time).
struct OutboxWorker {
    let app: Application
    var db: any Database { app.db(.primary) }
    var settings: NotificationSettings { app.settings.notifications }
    var policy: RetryPolicy { RetryPolicy(maxAttempts: settings.maxAttempts, base: settings.retryBase, cap: settings.retryCap) }

    struct Summary: Equatable, Sendable {
        /// Emails handed to the provider (several messages may share one).
        var emails = 0
        var texts = 0
        /// Messages set aside to be tried again later.
        var retried = 0
        var failed = 0
        /// Text messages held back by the per-number limit.
        var deferred = 0

        var description: String {
            "\(emails) emails and \(texts) text messages sent, \(retried) to retry, \(failed) failed, \(deferred) held back"
        }
    }

    /// One round: everything due now, up to the batch size.
    func run() async throws -> Summary {
        let now = app.clock.now()
        let claimed = try await claim(now: now)
        guard !claimed.isEmpty else { return Summary() }
        var summary = Summary()
        let composer = MessageComposer(messages: app.messages, contact: app.settings.contact)

        // Email: one per address and audience, the messages in the order they were queued.
        let emails = claimed.filter { $0.channel == .email }.sorted { $0.createdAt < $1.createdAt }
        var groups: [String: [OutboxMessage]] = [:]
        var order: [String] = []
        for message in emails {
            let key = (message.recipient ?? "").lowercased() + "\u{1}" + message.audience.rawValue
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(message)
        }
        for key in order {
            let group = groups[key]!
            let language = Language(rawValue: group[0].language) ?? .en
            let composed = composer.email(group.map { ($0.kind, $0.messageData) }, language: language)
            let email = OutgoingEmail(
                to: group[0].recipient ?? "", subject: composed.subject, text: composed.text, html: composed.html,
                kind: group.map(\.kind.rawValue).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }.joined(separator: "+"))
            let outcome = await attempt { try await app.mailer.send(email) }
            try await record(outcome, for: group, now: now, into: &summary)
            if outcome == nil { summary.emails += 1 }
        }

        // Text messages: never joined, and at most so many per number per hour.
        let secret = app.settings.security.secretKey
        let hourly = RateLimit(count: settings.smsPerNumberPerHour, window: 3600)
        for message in claimed where message.channel == .sms {
            guard let texter = app.texter else {
                try await record(.permanent("texts_off"), for: [message], now: now, into: &summary)
                continue
            }
            let number = TwilioTexter.e164(message.recipient ?? "") ?? (message.recipient ?? "")
            let allowed = try await db.writeTransaction { db in
                try await Throttle(database: db, secret: secret).attempt(.textNumber, number, hourly, now: now).allowed
            }
            guard allowed else {
                message.status = .pending
                message.attempts -= 1
                message.nextAttemptAt = now.addingTimeInterval(15 * 60)
                message.lockedUntil = nil
                try await db.writeTransaction { db in try await message.update(on: db) }
                summary.deferred += 1
                continue
            }
            let language = Language(rawValue: message.language) ?? .en
            let text = OutgoingText(
                to: message.recipient ?? "", body: composer.text(message.kind, message.messageData, language: language),
                kind: message.kind.rawValue)
            let outcome = await attempt { try await texter.send(text) }
            try await record(outcome, for: [message], now: now, into: &summary)
            if outcome == nil { summary.texts += 1 }
        }
        if summary.failed > 0 || summary.retried > 0 {
            app.logger.warning("outbox: \(summary.retried) messages to retry, \(summary.failed) failed")
        }
        return summary
    }

    /// Sends, turning any error into a delivery error (nil when it went through).
    private func attempt(_ send: () async throws -> Void) async -> DeliveryError? {
        do {
            try await send()
            return nil
        } catch let error as DeliveryError {
            return error
        } catch {
            return .transient("error")
        }
    }

    /// Stores what happened. Sent or failed for good: the recipient and data are cleared.
    private func record(_ outcome: DeliveryError?, for messages: [OutboxMessage], now: Date, into summary: inout Summary) async throws {
        for message in messages {
            message.lockedUntil = nil
            switch outcome {
            case nil:
                message.status = .sent
                message.sentAt = now
                message.lastError = nil
                message.recipient = nil
                message.data = nil
            case .transient(let code):
                message.lastError = code
                if let wait = policy.delay(afterAttempt: message.attempts) {
                    message.status = .pending
                    message.nextAttemptAt = now.addingTimeInterval(wait)
                    summary.retried += 1
                } else {
                    message.status = .failed
                    message.recipient = nil
                    message.data = nil
                    summary.failed += 1
                }
            case .permanent(let code):
                message.lastError = code
                message.status = .failed
                message.recipient = nil
                message.data = nil
                summary.failed += 1
            }
        }
        try await db.writeTransaction { db in
            for message in messages { try await message.update(on: db) }
        }
    }

    /// Marks up to a batch of due messages as this worker's, counting the attempt, and loads
    /// them. A message whose worker died mid-send (its lease ran out) is due again.
    func claim(now: Date) async throws -> [OutboxMessage] {
        // Long enough for every message of the batch to time out twice.
        let lease = now.addingTimeInterval(max(15 * 60, Double(settings.batchSize) * settings.httpTimeout * 2))
        let limit = settings.batchSize
        let ids: [UUID] = try await db.writeTransaction { db in
            let sql = db as! any SQLDatabase
            let lock: SQLQueryString = sql.dialect.name == "sqlite" ? "" : "FOR UPDATE SKIP LOCKED"
            let rows = try await sql.raw(
                """
                UPDATE outbox_messages SET status = 'sending', locked_until = \(bind: lease), attempts = attempts + 1
                WHERE id IN (
                    SELECT id FROM outbox_messages
                    WHERE (status = 'pending' AND next_attempt_at <= \(bind: now)) OR (status = 'sending' AND locked_until < \(bind: now))
                    ORDER BY next_attempt_at LIMIT \(bind: limit) \(lock))
                RETURNING id
                """
            ).all()
            return try rows.map { try $0.decode(column: "id", as: UUID.self) }
        }
        guard !ids.isEmpty else { return [] }
        return try await OutboxMessage.query(on: db).filter(\.$id ~~ ids).all()
    }
}
