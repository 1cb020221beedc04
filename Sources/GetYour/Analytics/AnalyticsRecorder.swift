import FluentKit
import Foundation
import Logging
import SQLKit
import Synchronization

/// Buffers analytics rows in memory and writes them in batches from a background task, so
/// logging never slows or fails a request (P9). When the buffer is full, or the analytics
/// database cannot be written, rows are dropped and counted; `/healthz` reports the count.
///
/// Product events are written with the aggregates `/staff/analytics` reads, in the same
/// transaction: per-day counts by kind, the funnel (each household counted once per stage)
/// and a histogram of days from submission to verification. The page never scans events.
public final class AnalyticsRecorder: Sendable {
    struct Buffer {
        var rows: [RequestLogRow] = []
        var events: [AnalyticsEvent] = []
        var dropped = 0
    }

    private let buffer = Mutex(Buffer())
    private let settings: AnalyticsSettings
    private let database: @Sendable () -> any Database
    private let logger: Logger
    private let loop = Mutex<Task<Void, Never>?>(nil)

    init(settings: AnalyticsSettings, logger: Logger, database: @escaping @Sendable () -> any Database) {
        self.settings = settings
        self.logger = logger
        self.database = database
    }

    /// Queues a row; never waits and never throws.
    func record(_ row: RequestLogRow) {
        buffer.withLock {
            if $0.rows.count >= settings.bufferLimit {
                $0.dropped += 1
            } else {
                $0.rows.append(row)
            }
        }
    }

    /// Queues a product event; never waits and never throws.
    func record(event: AnalyticsEvent) {
        buffer.withLock {
            if $0.rows.count + $0.events.count >= settings.bufferLimit {
                $0.dropped += 1
            } else {
                $0.events.append(event)
            }
        }
    }

    public var droppedCount: Int { buffer.withLock { $0.dropped } }

    /// Writes everything queued so far. Failures drop the batch (and count it).
    public func flush() async {
        await drain(\.events, what: "analytics events") { batch in
            try await self.database().writeTransaction { db in try await Self.insert(batch, on: db) }
        }
        await drain(\.rows, what: "analytics batch") { batch in try await self.insert(batch) }
    }

    /// Takes batches from one queue of the buffer and writes them until it is empty; on a
    /// failure the batch is dropped and counted, and the rest waits for the next flush.
    private func drain<Row: Sendable>(
        _ queue: any WritableKeyPath<Buffer, [Row]> & Sendable, what: String, write: @Sendable ([Row]) async throws -> Void
    ) async {
        while true {
            let batch: [Row] = buffer.withLock {
                let taken = Array($0[keyPath: queue].prefix(settings.batchSize))
                $0[keyPath: queue].removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            do {
                try await write(batch)
            } catch {
                buffer.withLock { $0.dropped += batch.count }
                logger.warning("\(what) dropped", metadata: ["rows": "\(batch.count)", "error": "\(type(of: error))"])
                return
            }
        }
    }

    /// The events and their aggregates. Safe with several servers flushing at once: every
    /// aggregate is an atomic upsert, and the funnel counts a household only when its
    /// (household, stage) row is new.
    static func insert(_ batch: [AnalyticsEvent], on db: any Database) async throws {
        guard let sql = db as? any SQLDatabase else { return }
        let insert = sql.insert(into: "events").columns("occurred_at", "day", "kind", "household", "detail", "days")
        for event in batch {
            insert.values(
                [
                    SQLBind(event.occurredAt), SQLBind(event.day), SQLBind(event.kind.rawValue), SQLBind(event.household),
                    SQLBind(event.detail), SQLBind(event.days),
                ] as [any SQLExpression])
        }
        try await insert.run()

        var daily: [[String]: Int] = [:]
        for event in batch { daily[[event.day, event.kind.rawValue], default: 0] += 1 }
        for (key, count) in daily {
            try await sql.raw(
                """
                INSERT INTO daily_counts (day, kind, n) VALUES (\(bind: key[0]), \(bind: key[1]), \(bind: count))
                ON CONFLICT (day, kind) DO UPDATE SET n = daily_counts.n + excluded.n
                """
            ).run()
        }

        var reached: [String: Int] = [:]
        for event in batch {
            guard let stage = event.stage else { continue }
            let new = try await sql.raw(
                """
                INSERT INTO funnel_progress (household, stage) VALUES (\(bind: event.household), \(bind: stage))
                ON CONFLICT (household, stage) DO NOTHING RETURNING stage
                """
            ).all()
            reached[stage, default: 0] += new.count
        }
        for (stage, count) in reached where count > 0 {
            try await sql.raw(
                """
                INSERT INTO funnel_counts (stage, households) VALUES (\(bind: stage), \(bind: count))
                ON CONFLICT (stage) DO UPDATE SET households = funnel_counts.households + excluded.households
                """
            ).run()
        }

        var decisionDays: [[String]: Int] = [:]
        for event in batch where event.kind == .verified {
            guard let days = event.days else { continue }
            decisionDays[[event.week, String(days)], default: 0] += 1
        }
        for (key, count) in decisionDays {
            try await sql.raw(
                """
                INSERT INTO verification_days (week, days, n) VALUES (\(bind: key[0]), \(bind: Int(key[1])!), \(bind: count))
                ON CONFLICT (week, days) DO UPDATE SET n = verification_days.n + excluded.n
                """
            ).run()
        }
    }

    private func insert(_ batch: [RequestLogRow]) async throws {
        guard let sql = database() as? any SQLDatabase else { return }
        let insert = sql.insert(into: "request_logs")
            .columns("request_id", "method", "route", "status", "duration_us", "role", "occurred_at")
        for row in batch {
            let values: [any SQLExpression] = [
                SQLBind(row.requestID), SQLBind(row.method), SQLBind(row.route), SQLBind(row.status),
                SQLBind(row.durationMicroseconds), SQLBind(row.role), SQLBind(row.occurredAt),
            ]
            insert.values(values)
        }
        try await insert.run()
    }

    /// Starts the background writer (on boot).
    func start() {
        loop.withLock { task in
            guard task == nil else { return }
            let interval = settings.flushInterval
            task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                    await self?.flush()
                }
            }
        }
    }

    /// Stops the writer and writes what is left (on shutdown).
    func stop() async {
        let task = loop.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await flush()
    }
}
