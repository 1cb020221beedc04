import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Document uploads (P6)")
struct DocumentUploadTests {
    func atDocuments(_ app: Application) async throws -> (Browser, String) {
        let browser = Browser(app)
        try await browser.applyUpToReview()
        let document = try #require(try await Document.query(on: app.db(.primary)).filter(\.$purpose == .memberID).first())
        try await browser.get("/apply/documents")
        try await browser.post("/apply/documents/file/\(document.id!.uuidString)/delete")
        let item = try #require(try await browser.checklistItems().first)
        try await browser.get("/apply/documents")
        return (browser, item)
    }

    func storedFiles(_ app: Application) -> [String] {
        let root = app.settings.paths.documentsDirectory
        return (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
            .filter { !$0.hasSuffix("/") && $0.split(separator: "/").count == 2 }
    }

    @Test(arguments: [
        ("notes.pdf", "text", "notes.pdf is not a file type we accept"),
        ("photo.jpg", "elf", "photo.jpg is not a file type we accept"),
        ("empty.png", "empty", "empty.png is empty"),
    ])
    func rejectedUploadsStoreNothing(name: String, kind: String, message: String) async throws {
        try await TestApp.run { app in
            let (browser, item) = try await atDocuments(app)
            let before = try await Document.query(on: app.db(.primary)).count()
            let filesBefore = storedFiles(app).count
            let data: Data
            switch kind {
            case "text": data = try Fixture.bytes("notes-renamed.pdf")
            case "elf": data = try Data(contentsOf: URL(fileURLWithPath: "/bin/true"))
            default: data = Data()
            }
            let response = try await browser.upload(item: item, files: [(name, data)])
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains(message))
            #expect(response.text.contains("PDF, JPEG, PNG, HEIC or WebP") || kind == "empty")
            #expect(try await Document.query(on: app.db(.primary)).count() == before)
            #expect(storedFiles(app).count == filesBefore)
            // No temporary file is left behind either.
            let tmp = app.settings.paths.dataDirectory.appendingPathComponent("tmp")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: tmp.path))?.isEmpty ?? true)
        }
    }

    @Test(arguments: [("fake-header.pdf", "letter.pdf"), ("truncated.jpg", "photo.jpg")])
    func aFileWhoseStartLiesAboutItIsRefused(fixture: String, name: String) async throws {
        try await TestApp.run { app in
            let (browser, item) = try await atDocuments(app)
            let before = try await Document.query(on: app.db(.primary)).count()
            let response = try await browser.upload(item: item, files: [(name, try Fixture.bytes(fixture))])
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("\(name) looks damaged"))
            #expect(try await Document.query(on: app.db(.primary)).count() == before)
        }
    }

    @Test func aDiskFailureGivesATryAgainPageAndStoresNothing() async throws {
        try await TestApp.run { app in
            let (browser, item) = try await atDocuments(app)
            let before = try await Document.query(on: app.db(.primary)).count()
            // The temporary folder cannot be created: a file stands where it should be.
            let tmp = app.settings.paths.dataDirectory.appendingPathComponent("tmp")
            try? FileManager.default.removeItem(at: tmp)
            try Data("not a folder".utf8).write(to: tmp)
            let response = try await browser.upload(item: item, files: [("id.jpg", try Fixture.bytes("id-card.jpg"))])
            #expect(response.status == .serviceUnavailable)
            #expect(response.text.contains("try again in a few minutes"))
            #expect(try await Document.query(on: app.db(.primary)).count() == before)
        }
    }

    @Test func oneBadFileRejectsTheWholeUpload() async throws {
        try await TestApp.run { app in
            let (browser, item) = try await atDocuments(app)
            let before = try await Document.query(on: app.db(.primary)).count()
            let response = try await browser.upload(
                item: item, files: [("id.jpg", try Fixture.bytes("id-card.jpg")), ("notes.pdf", try Fixture.bytes("notes-renamed.pdf"))])
            #expect(response.status == .unprocessableEntity)
            #expect(try await Document.query(on: app.db(.primary)).count() == before)
        }
    }

    @Test func anOversizedFileIsRefused() async throws {
        try await TestApp.run(try TestApp.settings(variables: ["GETYOUR_UPLOADS_MAX_FILE_MB": "1"])) { app in
            let (browser, item) = try await atDocuments(app)
            var big = try Fixture.bytes("id-card.jpg")
            big.append(Data(count: 1_200_000))
            let response = try await browser.upload(item: item, files: [("big.jpg", big)])
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("big.jpg is larger than 1 MB"))
            // Answered as soon as the file passed the limit; the unread rest is not a next request.
            #expect(response.headers.first(name: .connection) == "close")
            #expect(storedFiles(app).count == 2)
        }
    }

    @Test func severalFilesPerItemAreStoredUnderRandomKeysWithTheirDetectedType() async throws {
        try await TestApp.run { app in
            let (browser, item) = try await atDocuments(app)
            let response = try await browser.upload(
                item: item,
                files: [
                    ("front.jpg", try Fixture.bytes("id-card.jpg")), ("back.png", try Fixture.bytes("benefit-letter.png")),
                    ("scan.webp", try Fixture.bytes("snap-card.webp")), ("phone.heic", try Fixture.bytes("id-card.heic")),
                ])
            #expect(response.status == .seeOther)
            let documents = try await Document.query(on: app.db(.primary)).filter(\.$purpose == .memberID).all()
            #expect(Set(documents.map(\.mimeType)).isSuperset(of: ["image/jpeg", "image/png", "image/webp", "image/heic"]))
            for document in documents {
                #expect(document.storageKey.count == 64 && !document.storageKey.contains("front"))
                #expect(document.sha256.count == 64)
            }
            #expect(!storedFiles(app).contains { $0.contains("front") || $0.contains(".jpg") })
            #expect(!app.settings.paths.documentsDirectory.path.contains("/Public"))
        }
    }

    @Test func anUploadWithoutItsTokenIsRefused() async throws {
        try await TestApp.run { app in
            let (browser, item) = try await atDocuments(app)
            let before = try await Document.query(on: app.db(.primary)).count()
            let response = try await browser.upload(item: item, files: [("id.jpg", try Fixture.bytes("id-card.jpg"))], csrf: false)
            #expect(response.status == .forbidden)
            #expect(try await Document.query(on: app.db(.primary)).count() == before)
        }
    }

    @Test func theOwnerSeesTheirFileWithSafeHeaders() async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            let document = try #require(try await Document.query(on: app.db(.primary)).filter(\.$mimeType == "application/pdf").first())
            let response = try await browser.get("/documents/\(document.id!.uuidString)")
            #expect(response.status == .ok)
            #expect(response.headers.first(name: .contentType) == "application/pdf")
            #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(response.headers.first(name: "Content-Security-Policy")?.hasPrefix("sandbox") == true)
            #expect(response.headers.first(name: .contentDisposition)?.hasPrefix("inline; filename=\"document-") == true)
            #expect(response.body.readableBytes == (try Fixture.bytes("benefit-letter.pdf")).count)
        }
    }
}

@Suite("Upload limits come from settings (P6)")
struct UploadLimitTests {
    @Test func moreFilesThanAllowedPerItemAreRefused() async throws {
        try await TestApp.run(try TestApp.settings(variables: ["GETYOUR_UPLOADS_MAX_FILES_PER_ITEM": "2"])) { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            let item = try #require(try await browser.checklistItems().first)
            try await browser.get("/apply/documents")
            let response = try await browser.upload(
                item: item, files: [("a.jpg", try Fixture.bytes("id-card.jpg")), ("b.jpg", try Fixture.bytes("id-card.jpg"))])
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("at most 2 files"))
            #expect(try await Document.query(on: app.db(.primary)).count() == 3)
        }
    }
}
