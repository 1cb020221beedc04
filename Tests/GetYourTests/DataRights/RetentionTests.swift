import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Document retention (P10, issue 14)")
struct RetentionTests {
    static let month: TimeInterval = 31 * 24 * 3600

    func documents(of application: UUID, _ app: Application) async throws -> [Document] {
        try await Document.query(on: app.db(.primary)).filter(\.$application.$id == application).all()
    }

    func stored(_ document: Document, _ app: Application) -> Bool {
        let root = app.settings.paths.documentsDirectory
        return FileManager.default.fileExists(
            atPath: root.appendingPathComponent(String(document.storageKey.prefix(2))).appendingPathComponent(document.storageKey).path)
    }

    /// A denied application's files go after the retention period (time-travel with the app's
    /// clock); a submitted one's stay; the rows stay without file names; a dry run counts only.
    @Test func deniedApplicationsLoseTheirFilesAfterTheRetentionPeriodAndKeepTheirRecords() async throws {
        try await TestApp.run(adjust: { $0.documentRetentionMonths = 6 }) { app in
            let denied = try await StaffScene.make(app)
            try await denied.staff.get(denied.householdURL)
            #expect(
                try await denied.staff.decide("\(denied.applicationPath)/deny", [("reason", "Not in the service area")]).status == .seeOther
            )
            let waiting = Browser(app)
            try await waiting.submitApplication(email: "still.waiting@example.com")
            let deniedID = try denied.application.requireID()
            let before = try await documents(of: deniedID, app)
            #expect(!before.isEmpty && before.allSatisfy { stored($0, app) })
            let all = try await Document.query(on: app.db(.primary)).count()

            // Five months on: nothing is due.
            app.clock.travel(by: 5 * Self.month)
            #expect(try await DocumentRetention.run(app).documents == 0)
            // Seven months on: due. A dry run counts and changes nothing.
            app.clock.travel(by: 2 * Self.month)
            let counted = try await DocumentRetention.run(app, dryRun: true)
            #expect(counted.documents == before.count && counted.applications == 1)
            #expect(try await documents(of: deniedID, app).allSatisfy { $0.purgedAt == nil && stored($0, app) })

            try await runCommand(app, "jobs", "--once")
            let after = try await documents(of: deniedID, app)
            #expect(after.count == before.count, "the rows stay")
            #expect(after.allSatisfy { $0.purgedAt != nil && $0.originalName.isEmpty && !stored($0, app) })
            #expect(Set(after.map(\.sha256)) == Set(before.map(\.sha256)) && after.map(\.byteSize) == before.map(\.byteSize))
            // The application still waiting keeps everything.
            let others = try await Document.query(on: app.db(.primary)).filter(\.$application.$id != deniedID).all()
            #expect(others.count == all - before.count && others.allSatisfy { $0.purgedAt == nil && stored($0, app) })
            // Audited as the system; the next round finds nothing more.
            let audits = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "documents.purged").all()
            #expect(audits.count == 1 && audits.first?.applicationID == deniedID && audits.first?.actorID == "system")
            #expect(try await DocumentRetention.run(app).documents == 0)

            // Staff see the record and when the file went; the file itself is gone.
            try await makeStaff(app, role: .admin, email: "admin.later@city.example")
            let admin = Browser(app)
            try await admin.signInStaff(email: "admin.later@city.example")
            let page = try await admin.get(denied.householdURL)
            #expect(page.text.contains("under the retention policy"))
            #expect(try await admin.get("/staff/documents/\(after[0].requireID().uuidString)").status == .notFound)
            // The resident's export lists the documents without files.
            let export = try await denied.resident.signIn(email: "maria.lopez@example.com", password: "amber kettle meadow stone")
            #expect(export.status == .seeOther)
            let zip = try await denied.resident.get("/settings/export")
            #expect(zip.status == .ok)
        }
    }

    /// After a verified renewal replaced an application, the replaced application's files go
    /// once the retention period has passed since that verification.
    @Test func applicationsReplacedByAVerifiedRenewalLoseTheirFilesLater() async throws {
        try await TestApp.run(adjust: { $0.documentRetentionMonths = 3 }) { app in
            let scene = try await RenewalScene.make(app)
            let first = try #require(
                try await ApplicationRecord.query(on: app.db(.primary)).filter(\.$household.$id == scene.household)
                    .filter(\.$kind == .initial).first())
            let firstID = try first.requireID()
            #expect(try await scene.startRenewal(changed: []).status == .seeOther)
            try await scene.submitRenewal()
            #expect(try await scene.verifyRenewal().status == .seeOther)
            #expect(try await DocumentRetention.run(app, dryRun: true).documents == 0)
            app.clock.travel(by: 4 * Self.month)
            let summary = try await DocumentRetention.run(app)
            #expect(summary.documents == (try await documents(of: firstID, app)).count && summary.documents > 0)
            #expect(try await documents(of: firstID, app).allSatisfy { $0.purgedAt != nil && !stored($0, app) })
        }
    }

    @Test func thePurgeCommandReportsCountsAndTheSettingIsBounded() async throws {
        try await TestApp.run { app in
            try await runCommand(app, "purge-documents", "--dry-run")
            try await runCommand(app, "purge-documents")
        }
        #expect(throws: SettingsError.self) { try TestApp.settings(variables: ["GETYOUR_RETENTION_DOCUMENT_MONTHS": "0"]) }
        #expect(try TestApp.settings().documentRetentionMonths == 24)
    }
}
