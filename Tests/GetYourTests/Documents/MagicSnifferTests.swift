import Foundation
import Testing

@testable import GetYour

@Suite("libmagic detects files by content (P6)")
struct MagicSnifferTests {
    static let fixtures = TestApp.root.appendingPathComponent("Tests/Fixtures/documents")
    let sniffer = try! MagicSniffer()

    func bytes(_ name: String) throws -> Data {
        try Data(contentsOf: Self.fixtures.appendingPathComponent(name))
    }

    @Test(arguments: [
        ("benefit-letter.pdf", "application/pdf"), ("benefit-letter.png", "image/png"),
        ("id-card.jpg", "image/jpeg"), ("snap-card.webp", "image/webp"), ("id-card.heic", "image/heic"),
    ])
    func realDocumentsAreRecognised(file: String, type: String) throws {
        #expect(sniffer.mimeType(of: try bytes(file)) == type)
    }

    @Test func aTextFileNamedPDFIsText() throws {
        #expect(sniffer.mimeType(of: try bytes("notes-renamed.pdf")) == "text/plain")
    }

    @Test func anExecutableNamedJPGIsNotAnImage() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("photo-\(UUID().uuidString).jpg")
        try FileManager.default.copyItem(atPath: "/bin/true", toPath: scratch.path)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let type = sniffer.mimeType(of: try Data(contentsOf: scratch))
        #expect(type.hasPrefix("application/x-"))
        #expect(!type.hasPrefix("image/"))
    }

    @Test func emptyInputIsReportedAsEmpty() {
        #expect(sniffer.mimeType(of: Data()) == "application/x-empty")
    }

    @Test func concurrentUseIsSafe() async throws {
        let png = try bytes("benefit-letter.png")
        let pdf = try bytes("benefit-letter.pdf")
        let sniffer = self.sniffer
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<200 {
                group.addTask {
                    index.isMultiple(of: 2)
                        ? sniffer.mimeType(of: png) == "image/png"
                        : sniffer.mimeType(of: pdf) == "application/pdf"
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 })
    }
}
