import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Bounded uploads and no 500 for bad or concurrent input (P6, P10, issue 8)")
struct BoundedInputTests {
    func storedFiles(_ app: Application) -> Int {
        let root = app.settings.paths.documentsDirectory
        return (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.split(separator: "/").count == 2 }.count
    }

    func atDocuments(_ app: Application) async throws -> (Browser, String) {
        let browser = Browser(app)
        try await browser.applyUpToReview()
        let item = try #require(try await browser.checklistItems().first)
        try await browser.get("/apply/documents")
        return (browser, item)
    }

    @Test func anUploadWithAThousandSmallFieldsIsRefusedWithoutStoringAnything() async throws {
        try await TestApp.run { app in
            let (browser, item) = try await atDocuments(app)
            let documents = try await Document.query(on: app.db(.primary)).count(), files = storedFiles(app)
            var form = Multipart()
            form.field("csrf_token", try #require(browser.csrfToken))
            for index in 0..<1000 { form.field("field\(index)", "x") }
            form.file("files", filename: "id.jpg", data: try Fixture.bytes("id-card.jpg"))
            let response = try await browser.post("/apply/documents/\(item)", body: form.finished(), contentType: form.contentType)
            #expect(response.status == .badRequest)
            #expect(try await Document.query(on: app.db(.primary)).count() == documents)
            #expect(storedFiles(app) == files)
        }
    }

    @Test func elevenFilesForOneItemAreRefusedWithoutStoringAnything() async throws {
        try await TestApp.run { app in
            let (browser, item) = try await atDocuments(app)
            let documents = try await Document.query(on: app.db(.primary)).count(), files = storedFiles(app)
            let photo = try Fixture.bytes("id-card.jpg")
            let response = try await browser.upload(item: item, files: (0..<11).map { ("id\($0).jpg", photo) })
            #expect(response.status == .unprocessableEntity)
            #expect(response.text.contains("You can upload at most 10 files for each item"))
            #expect(try await Document.query(on: app.db(.primary)).count() == documents)
            #expect(storedFiles(app) == files)
            let tmp = app.settings.paths.dataDirectory.appendingPathComponent("tmp")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: tmp.path))?.isEmpty ?? true)
        }
    }

    @Test func aMalformedPartHeaderIsABadRequestNotAnError() async throws {
        try await TestApp.run { app in
            let (browser, item) = try await atDocuments(app)
            let documents = try await Document.query(on: app.db(.primary)).count()
            let boundary = "----Broken"
            var body = ByteBuffer()
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n\(browser.csrfToken ?? "")\r\n")
            body.writeString(
                "--\(boundary)\r\nContent-Disposition form-data name files\r\n\u{0}\u{1}: ???\r\n\r\nxx\r\n--\(boundary)--\r\n")
            let response = try await browser.post(
                "/apply/documents/\(item)", body: body, contentType: "multipart/form-data; boundary=\(boundary)")
            #expect(response.status == .badRequest)
            #expect(try await Document.query(on: app.db(.primary)).count() == documents)
        }
    }

    @Test func anApplicationsDocumentsHaveATotalSizeLimit() async throws {
        try await TestApp.run(try TestApp.settings(variables: ["GETYOUR_UPLOADS_MAX_APPLICATION_MB": "1"])) { app in
            let (browser, item) = try await atDocuments(app)
            // A real photo padded to about 400 KB with colour-profile segments (kept when the
            // metadata is removed, so the stored files are that big too).
            let original = try Fixture.bytes("id-card.jpg")
            var photo = Data(original.prefix(2))
            for _ in 0..<6 {
                photo += Data([0xFF, 0xE2, 0xFF, 0xFF]) + Data("ICC_PROFILE\0".utf8) + Data(repeating: 0x41, count: 0xFFFD - 12)
            }
            photo += original.dropFirst(2)
            var last = try await browser.upload(item: item, files: [("big0.jpg", photo)])
            for index in 1..<4 where last.status == .seeOther {
                try await browser.get("/apply/documents")
                last = try await browser.upload(item: item, files: [("big\(index).jpg", photo)])
            }
            #expect(last.status == .unprocessableEntity)
            #expect(last.text.contains("already add up to the most we can keep"))
            let total = try await Document.query(on: app.db(.primary)).all().reduce(0) { $0 + $1.byteSize }
            #expect(total <= 1_048_576)
        }
    }

    @Test func storedDocumentsAndMailAreReadableByTheAppsUserOnly() async throws {
        try await TestApp.run { app in
            try await Browser(app).applyUpToReview()
            let document = try #require(try await Document.query(on: app.db(.primary)).first())
            let path = FilesystemDocumentStore(root: app.settings.paths.documentsDirectory).path(for: document.storageKey).path
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let mail = app.settings.paths.mailDirectory
            for name in try FileManager.default.contentsOfDirectory(atPath: mail.path) {
                let fileMode =
                    try FileManager.default.attributesOfItem(atPath: mail.appendingPathComponent(name).path)[.posixPermissions] as? Int
                #expect(fileMode == 0o600)
            }
        }
    }

    @Test func householdMembersAreCapped() async throws {
        try await TestApp.run(try TestApp.settings(variables: ["GETYOUR_APPLICATION_MAX_MEMBERS": "3"])) { app in
            let browser = Browser(app)
            try await browser.applyUpToReview()  // Maria and Leo
            try await browser.get("/apply/members/new")
            #expect(
                try await browser.post("/apply/members/new", [("first_name", "Ana"), ("last_name", "Lopez"), ("birthdate", "2018-01-02")])
                    .status == .seeOther)
            try await browser.get("/apply/members/new")
            let fourth = try await browser.post(
                "/apply/members/new", [("first_name", "Eva"), ("last_name", "Lopez"), ("birthdate", "2019-01-02")])
            #expect(fourth.status == .unprocessableEntity)
            #expect(fourth.text.contains("at most 3 people"))
            #expect(fourth.text.contains("value=\"Eva\""))
        }
    }

    @Test func residentsAtTheSameAddressAtTheSameMomentAllSucceed() async throws {
        try await TestApp.run { app in
            var browsers: [Browser] = []
            for index in 0..<4 {
                let browser = Browser(app)
                try await browser.signUp(email: "neighbour\(index)@example.com")
                try await browser.get("/apply/address")
                browsers.append(browser)
            }
            let fields = [
                ("street", "300 Civic Center Dr"), ("unit", ""), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521"),
                ("mailing_same", "yes"),
            ]
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for browser in browsers {
                    nonisolated(unsafe) let browser = browser
                    group.addTask { try await browser.post("/apply/address", fields).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == .seeOther }, "\(statuses)")
            #expect(try await Address.query(on: app.db(.primary)).count() == 1)
        }
    }

    @Test func twentyResidentsApplyingAtOnceGetNoServerError() async throws {
        let settings = try TestApp.settings(
            variables: ["GETYOUR_LIMITS_SIGNUPS": "100", "GETYOUR_DATABASE_MAX_CONNECTIONS_PER_EVENT_LOOP": "4"])
        try await TestApp.run(settings) { app in
            // Twenty different in-area addresses from the local verifier's file.
            let lines = try String(contentsOf: app.settings.paths.settings.appendingPathComponent("addresses.csv"), encoding: .utf8)
            let addresses = lines.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
                .filter { $0.count >= 7 && $0[5] == "true" }.prefix(20).map { ($0[0], $0[1], $0[4]) }
            #expect(addresses.count == 20)
            let results = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let browser = Browser(app)
                        do {
                            try await browser.applyUpToReview(email: "resident\(index)@example.com", address: addresses[index])
                            try await browser.get("/apply/review")
                            let submitted = try await browser.post("/apply/submit", [("declaration", "yes")])
                            return submitted.status == .seeOther ? nil : "submit \(submitted.status)"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { if let problem = $1 { $0.append(problem) } }
            }
            #expect(results.isEmpty, "\(results)")
            #expect(try await ApplicationRecord.query(on: app.db(.primary)).filter(\.$status == .submitted).count() == 20)
        }
    }
}
