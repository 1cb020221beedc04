import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import ZIPFoundation

@testable import GetYour

@Suite("Download my data, delete my account, erase-user and export-user (P10, issue 14)")
struct DataRightsTests {
    static let canaryEmail = "canary.ana@example.com"
    static let canaryMember = "Zebuloncanary"
    static let canaryMessage = "Canary-message-7731: please send a clearer photo"
    static let canaryHelper = "Quillacanary Helper"
    static let canaryHelperEmail = "canary.helper@example.net"

    /// Household A (the canaries) and household B at the same address, both submitted; staff
    /// asked A for more information with a canary message.
    struct Scene {
        let ana: Browser
        let bea: Browser
        let anaUser: User
    }

    func scene(_ app: Application) async throws -> Scene {
        let ana = Browser(app)
        try await ana.applyUpToReview(email: Self.canaryEmail)
        try await ana.get("/settings/contact")
        let named = try await ana.post(
            "/settings/contact",
            [
                ("contact_name", Self.canaryHelper), ("contact_email", Self.canaryHelperEmail), ("contact_phone", "970-555-0188"),
                ("contact_relationship", "sister"), ("contact_receives", "copy"),
            ])
        #expect(named.status == .seeOther)
        try await ana.get("/apply/members/new")
        try await ana.post("/apply/members/new", [("first_name", Self.canaryMember), ("last_name", "Lopez"), ("birthdate", "2019-02-03")])
        try await ana.get("/apply/members")
        try await ana.post("/apply/members")
        for item in try await ana.checklistItems() {
            try await ana.get("/apply/documents")
            try await ana.upload(item: item, files: [("id.jpg", try Fixture.bytes("id-card.jpg"))])
        }
        try await ana.get("/apply/documents")
        try await ana.post("/apply/documents")
        try await ana.get("/apply/review")
        #expect(try await ana.post("/apply/submit", [("declaration", "yes")]).status == .seeOther)
        let bea = Browser(app)
        try await bea.applyUpToReview(email: "bea.other@example.com")
        try await bea.get("/apply/review")
        #expect(try await bea.post("/apply/submit", [("declaration", "yes")]).status == .seeOther)

        let db = app.db(.primary)
        let anaUser = try #require(try await User.find(email: Self.canaryEmail, on: db))
        let household = try #require(try await Household.query(on: db).filter(\.$user.$id == anaUser.requireID()).first())
        let application = try #require(try await ApplicationRecord.query(on: db).filter(\.$household.$id == household.requireID()).first())
        try await makeStaff(app, role: .verifier, email: "verifier@city.example")
        let staff = Browser(app)
        try await staff.signInStaff(email: "verifier@city.example")
        try await staff.get("/staff/households/\(household.requireID().uuidString.lowercased())")
        let checklist = try await DocumentChecklist.load(for: application, on: db)
        let asked = try await staff.post(
            "/staff/applications/\(application.requireID().uuidString.lowercased())/request-info",
            [("items", checklist.items[0].key), ("message", Self.canaryMessage), ("revision", String(application.revision))])
        #expect(asked.status == .seeOther)
        return Scene(ana: ana, bea: bea, anaUser: anaUser)
    }

    func unzip(_ data: Data) throws -> [String: Data] {
        let archive = try Archive(data: data, accessMode: .read)
        var entries: [String: Data] = [:]
        for entry in archive {
            var bytes = Data()
            _ = try archive.extract(entry) { bytes.append($0) }
            entries[entry.path] = bytes
        }
        return entries
    }

    @Test func theExportHoldsEveryCanaryOfThePersonAndNothingOfAnotherHousehold() async throws {
        try await TestApp.run { app in
            let scene = try await scene(app)
            let response = try await scene.ana.get("/settings/export")
            #expect(response.status == .ok)
            #expect(response.headers.contentType == .zip)
            #expect(response.headers.first(name: .contentDisposition)?.hasPrefix("attachment;") == true)
            let entries = try unzip(Data(buffer: response.body))
            let json = try #require(entries["data.json"].map { String(decoding: $0, as: UTF8.self) })
            for canary in [
                Self.canaryEmail, Self.canaryMember, Self.canaryMessage, "300 Civic Center Dr", "1985-04-27", "snap", Self.canaryHelper,
                Self.canaryHelperEmail,
            ] {
                #expect(json.contains(canary), "data.json lacks \(canary)")
            }
            #expect(!json.contains("bea.other"))
            // Every uploaded document, byte for byte, under a readable name.
            let documents = try await Document.query(on: app.db(.primary)).join(
                ApplicationRecord.self, on: \Document.$application.$id == \ApplicationRecord.$id
            )
            .join(Household.self, on: \ApplicationRecord.$household.$id == \Household.$id)
            .filter(Household.self, \.$user.$id == scene.anaUser.requireID()).all()
            let files = entries.filter { $0.key.hasPrefix("documents/") }
            #expect(files.count == documents.count && !documents.isEmpty)
            #expect(Set(files.values.map { SHA256.hash(data: $0).hex }) == Set(documents.map(\.sha256)))
            #expect(files.keys.contains { $0.contains("Maria_Lopez-") })
            // Audited without personal data; staff and signed-out people get no export.
            let audits = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "account.exported").all()
            #expect(audits.count == 1 && audits.first?.subjectUserID == scene.anaUser.id)
            #expect(try await Browser(app).get("/settings/export").status == .seeOther)
        }
    }

    /// Every text-like column of every table in the primary database, searched for `needle`.
    func tablesContaining(_ needle: String, _ app: Application) async throws -> [String] {
        let sql = app.db(.primary) as! any SQLDatabase
        let columns: [(String, String)]
        if TestApp.engine == "postgres" {
            columns = try await sql.raw(
                "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema()"
            ).all().map { (try $0.decode(column: "t", as: String.self), try $0.decode(column: "c", as: String.self)) }
        } else {
            let tables = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()
                .map { try $0.decode(column: "name", as: String.self) }
            var found: [(String, String)] = []
            for table in tables {
                for row in try await sql.raw("SELECT name FROM pragma_table_info(\(bind: table))").all() {
                    found.append((table, try row.decode(column: "name", as: String.self)))
                }
            }
            columns = found
        }
        var hits: [String] = []
        for (table, column) in columns {
            let count =
                try await sql.raw(
                    "SELECT count(*) AS n FROM \(ident: table) WHERE lower(CAST(\(ident: column) AS TEXT)) LIKE \(bind: "%" + needle.lowercased() + "%")"
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            if count > 0 { hits.append("\(table).\(column)") }
        }
        return hits
    }

    @Test func deletingNeedsThePasswordAndTheConfirmationAndLeavesNoCanary() async throws {
        try await TestApp.run { app in
            let scene = try await scene(app)
            let db = app.db(.primary)
            let keys = try await Document.query(on: db).all().map(\.storageKey)
            let anaKeys = try await Document.query(on: db).join(
                ApplicationRecord.self, on: \Document.$application.$id == \ApplicationRecord.$id
            )
            .join(Household.self, on: \ApplicationRecord.$household.$id == \Household.$id)
            .filter(Household.self, \.$user.$id == scene.anaUser.requireID()).all().map(\.storageKey)
            try await scene.ana.get("/settings")
            let wrong = try await scene.ana.post("/settings/delete", [("password", "not my password 1"), ("confirm", "yes")])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.text.contains("Your current password is not right"))
            let unconfirmed = try await scene.ana.post("/settings/delete", [("password", "amber kettle meadow stone")])
            #expect(unconfirmed.status == .unprocessableEntity)
            #expect(unconfirmed.text.contains("Tick the box to confirm"))
            #expect(try await User.find(email: Self.canaryEmail, on: db) != nil)

            let deleted = try await scene.ana.post("/settings/delete", [("password", "amber kettle meadow stone"), ("confirm", "yes")])
            #expect(deleted.status == .ok)
            #expect(deleted.text.contains("Your account is deleted"))
            #expect(deleted.text.contains("What we keep"))
            // Signed out, and the account is gone.
            #expect(try await scene.ana.get("/dashboard").status == .seeOther)
            let again = try await Browser(app).signIn(email: Self.canaryEmail, password: "amber kettle meadow stone")
            #expect(again.status == .unprocessableEntity)
            for canary in [
                Self.canaryEmail, "canary.ana", Self.canaryMember, "Canary-message-7731", "Quillacanary", "canary.helper", "5550188",
            ] {
                let hits = try await tablesContaining(canary, app)
                #expect(hits.isEmpty, "\(canary) is still in \(hits)")
            }
            // The files are gone from the store; the other household's are not.
            let store = app.settings.paths.documentsDirectory
            func stored(_ key: String) -> Bool {
                FileManager.default.fileExists(atPath: store.appendingPathComponent(String(key.prefix(2))).appendingPathComponent(key).path)
            }
            #expect(!anaKeys.isEmpty && anaKeys.allSatisfy { !stored($0) })
            #expect(keys.filter { !anaKeys.contains($0) }.allSatisfy(stored))
            // The other household at the same address keeps its address and application.
            #expect(try await scene.bea.get("/dashboard").status == .ok)
            let bea = try #require(try await User.find(email: "bea.other@example.com", on: db))
            let beaHousehold = try #require(try await Household.query(on: db).filter(\.$user.$id == bea.requireID()).first())
            let beaApplication = try #require(
                try await ApplicationRecord.query(on: db).filter(\.$household.$id == beaHousehold.requireID()).with(\.$eligibilityAddress)
                    .first())
            #expect(beaApplication.eligibilityAddress?.street == "300 Civic Center Dr")
            // What stays for the city: audit events with ids only, and the erasure itself.
            let erased = try await AuditEvent.query(on: db).filter(\.$action == "account.erased").all()
            #expect(erased.count == 1 && erased.first?.subjectUserID == scene.anaUser.id && erased.first?.actorRole == "resident")
            #expect(try await AuditEvent.query(on: db).filter(\.$action == "application.information_requested").count() == 1)
        }
    }

    @Test func operatorsEraseAndExportByEmail() async throws {
        try await TestApp.run { app in
            let scene = try await scene(app)
            let out = app.settings.paths.dataDirectory.appendingPathComponent("export-\(UUID()).zip")
            try await runCommand(app, "export-user", "--email", Self.canaryEmail.uppercased(), "--out", out.path)
            let entries = try unzip(try Data(contentsOf: out))
            #expect(entries["data.json"].map { String(decoding: $0, as: UTF8.self).contains(Self.canaryMember) } == true)
            let permissions = try FileManager.default.attributesOfItem(atPath: out.path)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
            await #expect(throws: (any Error).self) {
                try await runCommand(app, "export-user", "--email", Self.canaryEmail, "--out", out.path)
            }
            // Staff accounts are deactivated, never erased.
            await #expect(throws: (any Error).self) { try await runCommand(app, "erase-user", "--email", "verifier@city.example", "--yes") }
            await #expect(throws: (any Error).self) { try await runCommand(app, "erase-user", "--email", "nobody@example.com", "--yes") }

            try await runCommand(app, "erase-user", "--email", Self.canaryEmail, "--yes")
            #expect(try await User.find(email: Self.canaryEmail, on: app.db(.primary)) == nil)
            #expect(try await tablesContaining(Self.canaryMember, app).isEmpty)
            #expect(try await scene.ana.get("/dashboard").status == .seeOther)
            let audits = try await AuditEvent.query(on: app.db(.primary)).filter(\.$actorRole == "operator").all().map(\.action)
            #expect(audits.sorted() == ["account.erased", "account.exported"])
        }
    }
}
