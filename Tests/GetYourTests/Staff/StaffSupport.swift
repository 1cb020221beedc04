import Fluent
import Foundation
import Logging
import Testing
import Vapor
import VaporTesting

@testable import GetYour

extension Browser {
    /// The `revision` hidden field of the last page (the household page's decision forms).
    var revision: String? {
        guard let range = lastPage.range(of: #"name="revision" value=""#) else { return nil }
        let rest = lastPage[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// Posts a decision form of the household page with the page's revision.
    @discardableResult
    func decide(_ path: String, _ fields: [(String, String)] = []) async throws -> TestingHTTPResponse {
        try await post(path, fields + [("revision", revision ?? "")])
    }
}

/// A submitted household and a signed-in verifier, the starting point of most staff tests.
struct StaffScene {
    let resident: Browser
    let staff: Browser
    let application: ApplicationRecord
    var householdURL: String { "/staff/households/\(application.$household.id.uuidString.lowercased())" }
    var applicationPath: String { "/staff/applications/\(application.id!.uuidString.lowercased())" }

    static func make(_ app: Application, role: User.Role = .verifier, email: String = "maria.lopez@example.com") async throws -> StaffScene
    {
        let resident = Browser(app)
        try await resident.submitApplication(email: email)
        try await makeStaff(app, role: role)
        let staff = Browser(app)
        try await staff.signInStaff()
        let application = try #require(
            try await ApplicationRecord.query(on: app.db(.primary)).filter(\.$status == .submitted).sort(\.$submittedAt, .descending)
                .first())
        return StaffScene(resident: resident, staff: staff, application: application)
    }

    func reload(_ app: Application) async throws -> ApplicationRecord {
        try #require(try await ApplicationRecord.find(application.id, on: app.db(.primary)))
    }
}

/// Counts the SQL statements the app runs, from the drivers' "Executing query" log lines
/// (in-memory requests log through `app.logger`).
final class StatementCounter: LogHandler, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt
    ) {
        if message.description == "Executing query" { lock.withLock { count += 1 } }
    }

    func reset() { lock.withLock { count = 0 } }
    var statements: Int { lock.withLock { count } }
}
