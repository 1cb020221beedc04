import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

enum Fixture {
    static let folder = TestApp.root.appendingPathComponent("Tests/Fixtures/documents")

    static func bytes(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(name))
    }
}

/// A multipart/form-data body as a browser sends it: fields first, then files.
struct Multipart {
    let boundary = "----GetYourTest\(UUID().uuidString.prefix(8))"
    var buffer = ByteBuffer()

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func field(_ name: String, _ value: String) {
        buffer.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
    }

    mutating func file(_ name: String, filename: String, type: String = "application/octet-stream", data: Data) {
        buffer.writeString(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n")
        buffer.writeBytes(data)
        buffer.writeString("\r\n")
    }

    func finished() -> ByteBuffer {
        var copy = buffer
        copy.writeString("--\(boundary)--\r\n")
        return copy
    }
}

extension Browser {
    /// Uploads files for one checklist item, CSRF token first as the form does.
    @discardableResult
    func upload(item: String, files: [(String, Data)], csrf: Bool = true) async throws -> TestingHTTPResponse {
        var form = Multipart()
        if csrf, let token = csrfToken { form.field("csrf_token", token) }
        for (name, data) in files { form.file("files", filename: name, data: data) }
        return try await post("/apply/documents/\(item)", body: form.finished(), contentType: form.contentType)
    }

    /// The checklist item keys on the documents page, in order.
    func checklistItems() async throws -> [String] {
        let page = try await get("/apply/documents").text
        return page.matches(of: try Regex(#"action="/apply/documents/((member|program)-[a-z0-9_-]+)""#))
            .map { String($0.output[1].substring ?? "") }
    }

    /// The id in a member's "Change" link, by name.
    func memberID(named name: String) async throws -> String? {
        let page = try await get("/apply/members").text
        guard let range = page.range(of: "<strong>\(name)</strong>") else { return nil }
        let after = page[range.upperBound...]
        guard let link = after.range(of: "href=\"/apply/members/") else { return nil }
        return String(after[link.upperBound...].prefix(36))
    }

    /// Signs up and answers every step up to the review page.
    func applyUpToReview(
        email: String = "maria.lopez@example.com", programs: [String] = ["snap"],
        address: (street: String, unit: String, zip: String) = ("300 Civic Center Dr", "", "80521")
    ) async throws {
        try await signUp(email: email)
        try await get("/apply/get-ready")
        try await get("/apply/address")
        try await post(
            "/apply/address",
            [
                ("street", address.street), ("unit", address.unit), ("city", "Fort Collins"), ("state", "CO"), ("zip", address.zip),
                ("mailing_same", "yes"),
            ])
        try await get("/apply/household")
        try await post("/apply/household", [("rent_own", "rent"), ("duration", "1_to_3")])
        let applicant = try #require(try await memberID(named: "Maria Lopez"))
        try await get("/apply/members/\(applicant)")
        try await post("/apply/members/\(applicant)", [("first_name", "Maria"), ("last_name", "Lopez"), ("birthdate", "1985-04-27")])
        try await get("/apply/members/new")
        try await post("/apply/members/new", [("first_name", "Leo"), ("last_name", "Lopez"), ("birthdate", "2015-09-02")])
        try await get("/apply/members")
        try await post("/apply/members")
        try await get("/apply/programs")
        try await post("/apply/programs", programs.map { ("programs", $0) })
        for item in try await checklistItems() {
            try await get("/apply/documents")
            let response = try await upload(
                item: item,
                files: [
                    (
                        item.hasPrefix("member") ? "id.jpg" : "letter.pdf",
                        try Fixture.bytes(item.hasPrefix("member") ? "id-card.jpg" : "benefit-letter.pdf")
                    )
                ])
            #expect(response.status == .seeOther, "upload for \(item): \(response.status)")
        }
        try await get("/apply/documents")
        try await post("/apply/documents")
    }
}
