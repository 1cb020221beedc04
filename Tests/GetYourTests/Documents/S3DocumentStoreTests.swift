import AsyncHTTPClient
import Crypto
import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// The S3 document store against a real S3-compatible server (moto, started by
/// `scripts/test`, which checks every request's signature), and through a proxy that cuts
/// uploads half-way (issue 14).
@Suite("S3 document store", .enabled(if: TestS3.available || TestS3.required, "needs the S3 server scripts/s3.sh starts"))
struct S3DocumentStoreTests {
    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    func store(_ client: S3Client) -> S3DocumentStore {
        S3DocumentStore(client: client, temporaryFolder: FileManager.default.temporaryDirectory, logger: Logger(label: "test"))
    }

    func read(_ store: S3DocumentStore, _ key: String) async throws -> Data {
        var data = Data()
        try await store.withLocalFile(key: key) { data = try Data(contentsOf: $0) }
        return data
    }

    @Test func theServerIsThereWhenTheTestScriptSaysItIs() {
        #expect(TestS3.available, "GETYOUR_TEST_REQUIRE_S3=1 but GETYOUR_TEST_S3_ENDPOINT is not set: run under scripts/test")
    }

    @Test func aFileIsStoredReadAndDeleted() async throws {
        try await TestS3.withClient(TestS3.settings()) { client in
            let store = store(client)
            let file = try TestS3.randomFile(size: 70_000)
            let original = try Data(contentsOf: file)
            try await store.store(fileAt: file, key: "abc123")
            #expect(!FileManager.default.fileExists(atPath: file.path), "the temporary file is removed once stored")
            #expect(try await client.listKeys() == ["abc123"])
            #expect(try await read(store, "abc123") == original)

            try await store.delete(key: "abc123")
            #expect(try await client.listKeys().isEmpty)
            await #expect(throws: Abort.self) { try await read(store, "abc123") }
            // Deleting what is not there is not an error (a retried erasure).
            try await store.delete(key: "abc123")
        }
    }

    @Test func aLargeFileGoesUpInPartsEncryptedAndComesBackWhole() async throws {
        try await TestS3.withClient(TestS3.settings(encryption: .aes256)) { client in
            let store = store(client)
            // Two full parts of 5 MiB and a short third one.
            let file = try TestS3.randomFile(size: 11 * 1_048_576 + 12_345)
            let original = try Data(contentsOf: file)
            try await store.store(fileAt: file, key: "large")
            #expect(try await client.openMultipartUploads() == 0)
            // (The count this relies on does see an upload left open.)
            let open = try await client.createMultipartUpload(key: "left-open")
            #expect(try await client.openMultipartUploads() == 1)
            try await client.abortMultipartUpload(key: "left-open", uploadID: open)
            let answer = try #require(try await client.getObject(key: "large"))
            #expect(answer.headers.first(name: "x-amz-server-side-encryption") == "AES256")
            #expect(answer.headers.first(name: "ETag")?.hasSuffix("-3\"") == true, "stored as a three-part upload")
            let body = try await answer.body.collect(upTo: 20 * 1_048_576)
            #expect(Self.sha256(Data(body.readableBytesView)) == Self.sha256(original))
        }
    }

    @Test func aWrongSecretIsRefusedByTheServer() async throws {
        let bucket = "getyour-test-" + UUID().uuidString.prefix(8).lowercased()
        try await TestS3.withClient(TestS3.settings(bucket: bucket)) { _ in
            let http = HTTPClient(eventLoopGroupProvider: .singleton)
            let wrong = S3Client(settings: TestS3.settings(bucket: bucket, secret: "not-the-secret"), http: http)
            let file = try TestS3.randomFile(size: 1000)
            defer { try? FileManager.default.removeItem(at: file) }
            do {
                try await wrong.putObject(fileAt: file, key: "nope")
                Issue.record("the server took a request signed with the wrong secret")
            } catch let failure as S3Client.Failure {
                #expect(failure.code == "SignatureDoesNotMatch")
            }
            try await http.shutdown()
        }
    }

    @Test(arguments: [1_000, 11 * 1_048_576])
    func anUploadCutHalfWayLeavesNoObjectAndNoParts(size: Int) async throws {
        let bucket = "getyour-test-" + UUID().uuidString.prefix(8).lowercased()
        try await TestS3.withClient(TestS3.settings(cutting: true, bucket: bucket, prefix: "cut/")) { cutting in
            let file = try TestS3.randomFile(size: size)
            defer { try? FileManager.default.removeItem(at: file) }
            await #expect(throws: S3Client.Failure.self) { try await store(cutting).store(fileAt: file, key: "half") }
            #expect(FileManager.default.fileExists(atPath: file.path), "the caller's file is left for the caller to remove")
            let direct = S3Client(settings: TestS3.settings(bucket: bucket, prefix: "cut/"), http: cutting.http)
            let keys = try await direct.listKeys()
            let open = try await direct.openMultipartUploads()
            #expect(keys.isEmpty)
            #expect(open == 0, "the multipart upload was aborted")
        }
    }

    @Test func pathStyleAndVirtualHostedAddresses() throws {
        var settings = TestS3.settings(bucket: "city-docs", prefix: "documents/")
        settings.endpoint = URL(string: "https://s3.us-west-2.amazonaws.com")!
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { try? http.syncShutdown() }
        let path = S3Client(settings: settings, http: http).target(
            key: "ab cd", query: [URLQueryItem(name: "uploadId", value: "x/y")])
        #expect(path.url == "https://s3.us-west-2.amazonaws.com/city-docs/documents/ab%20cd?uploadId=x%2Fy")
        #expect(path.host == "s3.us-west-2.amazonaws.com")
        #expect(path.path == "/city-docs/documents/ab%20cd")

        settings.addressing = .virtual
        let virtual = S3Client(settings: settings, http: http).target(key: "abc")
        #expect(virtual.url == "https://city-docs.s3.us-west-2.amazonaws.com/documents/abc")
        #expect(virtual.host == "city-docs.s3.us-west-2.amazonaws.com")
        #expect(virtual.path == "/documents/abc")

        settings.endpoint = URL(string: "http://127.0.0.1:9000")!
        settings.addressing = .path
        let local = S3Client(settings: settings, http: http).target(key: nil)
        #expect(local.url == "http://127.0.0.1:9000/city-docs" && local.host == "127.0.0.1:9000")
    }

    @Test func settingsChooseTheStoreAndNameWhatIsMissing() throws {
        let settings = try TestApp.settings(
            "dev",
            variables: [
                "GETYOUR_DOCUMENTS_BACKEND": "s3", "GETYOUR_DOCUMENTS_S3_BUCKET": "city-docs",
                "GETYOUR_DOCUMENTS_S3_ACCESS_KEY_ID": "AKIA", "GETYOUR_DOCUMENTS_S3_SECRET_ACCESS_KEY": "secret",
                "GETYOUR_DOCUMENTS_S3_ENCRYPTION": "kms", "GETYOUR_DOCUMENTS_S3_KMS_KEY_ID": "key-1",
            ])
        #expect(settings.documents.backend == .s3)
        #expect(settings.documents.s3.addressing == .virtual, "AWS's own endpoint is addressed virtual-hosted")
        #expect(settings.documents.s3.endpoint.absoluteString == "https://s3.us-east-1.amazonaws.com")
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { try? http.syncShutdown() }
        let headers = S3Client(settings: settings.documents.s3, http: http).encryptionHeaders
        #expect(headers.map(\.1) == ["aws:kms", "key-1"])

        #expect(
            throws: SettingsError.missingSecrets(
                environment: "dev", variables: ["GETYOUR_DOCUMENTS_S3_ACCESS_KEY_ID", "GETYOUR_DOCUMENTS_S3_SECRET_ACCESS_KEY"])
        ) {
            try TestApp.settings("dev", variables: ["GETYOUR_DOCUMENTS_BACKEND": "s3", "GETYOUR_DOCUMENTS_S3_BUCKET": "city-docs"])
        }
        // Production sends documents over TLS only.
        #expect(throws: SettingsError.self) {
            try TestApp.settings(
                "production",
                variables: [
                    "GETYOUR_DOCUMENTS_BACKEND": "s3", "GETYOUR_DOCUMENTS_S3_BUCKET": "city-docs",
                    "GETYOUR_DOCUMENTS_S3_ENDPOINT": "http://10.0.0.5:9000",
                    "GETYOUR_DOCUMENTS_S3_ACCESS_KEY_ID": "AKIA", "GETYOUR_DOCUMENTS_S3_SECRET_ACCESS_KEY": "secret",
                ])
        }
    }
}

/// The whole app on the S3 store: what residents and staff do with documents works the same,
/// and a store that fails mid-upload leaves nothing behind.
@Suite("Documents on S3, through the app", .enabled(if: TestS3.available || TestS3.required, "needs the S3 server scripts/s3.sh starts"))
struct S3JourneyTests {
    /// The app on its own bucket; `cutting` gives the uploads under `cut/`, which the proxy
    /// cuts once `cutFromNowOn` sends the store through it.
    func run(cutting: Bool = false, _ body: (Application, S3Client) async throws -> Void) async throws {
        let prefix = cutting ? "cut/" : "documents/"
        let bucket = "getyour-test-" + UUID().uuidString.prefix(8).lowercased()
        try await TestS3.withClient(TestS3.settings(bucket: bucket, prefix: prefix)) { direct in
            try await TestApp.run(adjust: {
                $0.documents = DocumentStorageSettings(backend: .s3, s3: TestS3.settings(bucket: bucket, prefix: prefix))
            }) { app in try await body(app, direct) }
        }
    }

    func cutFromNowOn(_ app: Application, _ direct: S3Client) {
        var settings = direct.settings
        settings.endpoint = URL(string: TestS3.cuttingEndpoint!)!
        app.documentStore = S3DocumentStore(
            client: S3Client(settings: settings, http: direct.http),
            temporaryFolder: app.settings.paths.dataDirectory.appendingPathComponent("tmp"), logger: app.logger)
    }

    @Test func uploadsAreServedFromTheBucketAndRemovedFromIt() async throws {
        try await run { app, bucket in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            let documents = try await Document.query(on: app.db(.primary)).all()
            #expect(!documents.isEmpty)
            #expect(Set(try await bucket.listKeys()) == Set(documents.map(\.storageKey)), "one object per row, under the row's key")
            #expect(!FileManager.default.fileExists(atPath: app.settings.paths.documentsDirectory.path), "nothing on the local disk")

            for document in documents {
                let response = try await browser.get("/documents/\(document.id!.uuidString)")
                #expect(response.status == .ok)
                #expect(response.headers.first(name: .contentType) == document.mimeType)
                let body = Data(response.body.readableBytesView)
                #expect(body.count == document.byteSize)
                #expect(S3DocumentStoreTests.sha256(body) == document.sha256, "the checksum is of the stored bytes")
            }

            // The resident removes one: its object goes too.
            let removed = documents[0]
            try await browser.get("/apply/documents")
            try await browser.post("/apply/documents/file/\(removed.id!.uuidString)/delete")
            #expect(try await bucket.listKeys().contains(removed.storageKey) == false)
            #expect(try await bucket.listKeys().count == documents.count - 1)
        }
    }

    @Test(arguments: ["small", "large"])
    func aStoreFailureMidUploadKeepsNoObjectNoRowAndSaysSo(size: String) async throws {
        try await run(cutting: true) { app, bucket in
            let browser = Browser(app)
            try await browser.applyUpToReview()
            let before = try await Document.query(on: app.db(.primary)).count()
            let keysBefore = try await bucket.listKeys()
            let item = try #require(try await browser.checklistItems().first)
            // A PDF past the 5 MiB part size goes up in parts; the proxy cuts the second part.
            let file: (String, Data) =
                size == "small"
                ? ("id.jpg", try Fixture.bytes("id-card.jpg"))
                : ("letter.pdf", Data("%PDF-1.4\n".utf8) + Data(repeating: 0x41, count: 6 * 1_048_576) + Data("\n%%EOF\n".utf8))
            try await browser.get("/apply/documents")
            cutFromNowOn(app, bucket)
            let response = try await browser.upload(item: item, files: [file])
            #expect(response.status == .serviceUnavailable)
            #expect(response.text.contains("Your file was not saved"))
            #expect(try await Document.query(on: app.db(.primary)).count() == before)
            #expect(try await bucket.listKeys() == keysBefore)
            #expect(try await bucket.openMultipartUploads() == 0)
            let tmp = app.settings.paths.dataDirectory.appendingPathComponent("tmp")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: tmp.path))?.isEmpty ?? true, "no temporary file is left")
        }
    }
}
