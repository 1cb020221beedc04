import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// Whether the filesystem store holds `key` (the test settings use it).
func stored(_ app: Application, _ key: String) -> Bool {
    FileManager.default.fileExists(atPath: FilesystemDocumentStore(root: app.settings.paths.documentsDirectory).path(for: key).path)
}

@Suite("Admins replace a document for the resident (P6, P7, issue 11)")
struct DocumentReplacementTests {
    /// Posts one file to the replace form of `document`, CSRF token first as the form sends it.
    func replace(_ browser: Browser, _ document: Document, files: [(String, Data)]) async throws -> TestingHTTPResponse {
        var form = Multipart()
        if let token = browser.csrfToken { form.field("csrf_token", token) }
        for (name, data) in files { form.file("files", filename: name, data: data) }
        return try await browser.post(
            "/staff/documents/\(try document.requireID().uuidString)/replace", body: form.finished(), contentType: form.contentType)
    }

    @Test func anAdminReplacesAFileWithACheckedUploadAndTheOldOneIsGone() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app, role: .admin)
            let documents = try await Document.query(on: app.db(.primary)).filter(\.$application.$id == scene.application.requireID())
                .sort(\.$uploadedAt).all()
            let old = try #require(documents.first { $0.mimeType == "image/jpeg" })
            let page = try await scene.staff.get(scene.householdURL)
            #expect(page.text.contains("Replace id.jpg for the resident"))

            // Content is checked like any upload: a renamed text file and a truncated photo are refused.
            let renamed = try await replace(scene.staff, old, files: [("better.pdf", try Fixture.bytes("notes-renamed.pdf"))])
            #expect(renamed.status == .unprocessableEntity)
            #expect(renamed.text.contains("aria-invalid=\"true\""))
            try await scene.staff.get(scene.householdURL)
            let truncated = try await replace(scene.staff, old, files: [("id.jpg", try Fixture.bytes("truncated.jpg"))])
            #expect(truncated.status == .unprocessableEntity)
            try await scene.staff.get(scene.householdURL)
            let none = try await replace(scene.staff, old, files: [])
            #expect(none.status == .unprocessableEntity)
            #expect(try await Document.find(old.id, on: app.db(.primary)) != nil)

            try await scene.staff.get(scene.householdURL)
            let done = try await replace(scene.staff, old, files: [("clearer id.heic", try Fixture.bytes("id-card.heic"))])
            #expect(done.headers.first(name: .location) == scene.householdURL + "?done=replaced")
            #expect(try await Document.find(old.id, on: app.db(.primary)) == nil)
            #expect(!stored(app, old.storageKey))
            let now = try await Document.query(on: app.db(.primary)).filter(\.$application.$id == scene.application.requireID()).all()
            #expect(now.count == documents.count)
            let new = try #require(now.first { $0.originalName == "clearer id.heic" })
            #expect(new.mimeType == "image/heic" && new.reviewState == .pending && new.purpose == old.purpose)
            #expect(new.$member.id == old.$member.id && new.storageKey != old.storageKey && !new.storageKey.contains("clearer"))
            #expect(stored(app, new.storageKey))
            let audit = try await AuditEvent.query(on: app.db(.primary)).filter(\.$action == "document.replaced").all()
            #expect(audit.count == 1 && audit.first?.documentID == new.id)
            // The same old file cannot be replaced twice.
            try await scene.staff.get(scene.householdURL)
            #expect(try await replace(scene.staff, old, files: [("id.jpg", try Fixture.bytes("id-card.jpg"))]).status == .notFound)
        }
    }

    @Test func onlyAdminsReplaceAndOnlyWhileTheApplicationIsWithStaff() async throws {
        try await TestApp.run { app in
            let scene = try await StaffScene.make(app, role: .verifier)
            let document = try #require(
                try await Document.query(on: app.db(.primary)).filter(\.$application.$id == scene.application.requireID()).first())
            let page = try await scene.staff.get(scene.householdURL)
            #expect(!page.text.contains("for the resident (admins)"))
            #expect(try await replace(scene.staff, document, files: [("id.jpg", try Fixture.bytes("id-card.jpg"))]).status == .forbidden)
            // The resident cannot reach it either.
            try await scene.resident.get("/dashboard")
            #expect(try await replace(scene.resident, document, files: [("id.jpg", try Fixture.bytes("id-card.jpg"))]).status == .notFound)

            // Verified: closed for replacement.
            try await scene.staff.get(scene.householdURL)
            #expect(try await scene.staff.decide("\(scene.applicationPath)/verify").status == .seeOther)
            try await makeStaff(app, role: .admin, email: "admin@city.example")
            let admin = Browser(app)
            try await admin.signInStaff(email: "admin@city.example")
            let after = try await admin.get(scene.householdURL)
            #expect(!after.text.contains("for the resident (admins)"))
            let closed = try await replace(admin, document, files: [("id.jpg", try Fixture.bytes("id-card.jpg"))])
            #expect(closed.status == .conflict && closed.text.contains("Files can be replaced only while the application is with staff"))
            #expect(try await Document.find(document.id, on: app.db(.primary)) != nil)
        }
    }
}
