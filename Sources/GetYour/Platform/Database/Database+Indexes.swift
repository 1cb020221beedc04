import Fluent
import SQLKit

extension Database {
    /// Creates an index the same way on SQLite and PostgreSQL (Fluent's schema builder has none).
    func createIndex(on table: String, named name: String, columns: [String], unique: Bool = false) async throws {
        guard let sql = self as? any SQLDatabase else { return }
        let builder = sql.create(index: name).on(table)
        for column in columns { builder.column(column) }
        if unique { builder.unique() }
        try await builder.run()
    }
}
