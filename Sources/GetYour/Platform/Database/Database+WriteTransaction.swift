import Fluent
import SQLKit

extension Database {
    /// Runs `body` in one transaction that takes the write lock up front.
    ///
    /// On PostgreSQL this is an ordinary transaction. On SQLite Fluent begins a *deferred*
    /// transaction: one that reads first and writes later cannot upgrade its lock while another
    /// connection writes, and fails with "database is locked" at once (no busy wait can help).
    /// `BEGIN IMMEDIATE` queues the transaction behind the current writer instead, so the
    /// embedded default is safe with concurrent residents (issue 8).
    ///
    /// Within one process, SQLite write transactions also take turns on `sqliteWriters` first:
    /// SQLite runs on a small pool of threads (two on a 2-core machine), and a `BEGIN
    /// IMMEDIATE` that waits for the lock holds its thread, so two of them could leave the
    /// holder no thread to commit on. Waiting for a turn holds no thread.
    func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard let sql = self as? any SQLDatabase, sql.dialect.name == "sqlite", !inTransaction else {
            return try await transaction(body)
        }
        return try await sqliteWriters.run { try await self.immediateTransaction(body) }
    }

    private func immediateTransaction<T: Sendable>(_ body: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await withConnection { connection in
            let raw = connection as! any SQLDatabase
            try await raw.raw("BEGIN IMMEDIATE TRANSACTION").run()
            do {
                let result = try await body(connection)
                try await raw.raw("COMMIT TRANSACTION").run()
                return result
            } catch {
                try? await raw.raw("ROLLBACK TRANSACTION").run()
                throw error
            }
        }
    }
}

/// Every SQLite write transaction of this process takes its turn here (see `writeTransaction`).
let sqliteWriters = SerialLock()
