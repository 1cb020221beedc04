import FluentKit
import Foundation
import Logging
import SQLKit
import Synchronization

/// Buffers analytics rows in memory and writes them in batches from a background task, so
/// logging never slows or fails a request (P9). When the buffer is full, or the analytics
/// database cannot be written, rows are dropped and counted; `/healthz` reports the count.
public final class AnalyticsRecorder: Sendable {
    struct Buffer {
        var rows: [RequestLogRow] = []
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

    public var droppedCount: Int { buffer.withLock { $0.dropped } }

    /// Writes everything queued so far. Failures drop the batch (and count it).
    public func flush() async {
        while true {
            let batch: [RequestLogRow] = buffer.withLock {
                let taken = Array($0.rows.prefix(settings.batchSize))
                $0.rows.removeFirst(taken.count)
                return taken
            }
            guard !batch.isEmpty else { return }
            do {
                try await insert(batch)
            } catch {
                buffer.withLock { $0.dropped += batch.count }
                logger.warning("analytics batch dropped", metadata: ["rows": "\(batch.count)", "error": "\(type(of: error))"])
                return
            }
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
