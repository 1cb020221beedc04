import Foundation
import Vapor

/// A browser that talks to this process's own responder, with no socket: requests go through
/// the whole middleware chain (sessions, CSRF, validation) exactly as a resident's would.
/// `getyour seed --demo` fills in applications with it, so demo data is whatever the real
/// pages make of real answers, never rows written behind the product's back.
final class LocalBrowser {
    struct Page {
        let status: HTTPStatus
        let location: String?
        let text: String
    }

    enum Failure: Error, CustomStringConvertible {
        case unexpected(method: String, path: String, status: HTTPStatus)

        var description: String {
            switch self {
            case .unexpected(let method, let path, let status): "\(method) \(path) answered \(status.code)"
            }
        }
    }

    let app: Application
    private var cookies: [String: String] = [:]
    private var lastPage = ""

    init(_ app: Application) {
        self.app = app
    }

    @discardableResult
    func get(_ path: String) async throws -> Page {
        try await send(.GET, path, body: nil, contentType: nil)
    }

    /// A form POST with the last page's CSRF token, as the page's own form would send it.
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)] = []) async throws -> Page {
        var all = fields
        if let token = csrfToken { all.insert(("csrf_token", token), at: 0) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(.POST, path, body: ByteBuffer(string: body), contentType: "application/x-www-form-urlencoded")
    }

    /// Uploads one file to a checklist item, as the documents page's form does.
    @discardableResult
    func upload(_ path: String, filename: String, type: String, data: Data) async throws -> Page {
        let boundary = "----GetYourDemo\(UUID().uuidString.prefix(12))"
        var body = ByteBuffer()
        if let token = csrfToken {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n\(token)\r\n")
        }
        body.writeString(
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n")
        body.writeBytes(data)
        body.writeString("\r\n--\(boundary)--\r\n")
        return try await send(.POST, path, body: body, contentType: "multipart/form-data; boundary=\(boundary)")
    }

    /// Fails unless the answer is a redirect (what every accepted form answers).
    @discardableResult
    func expectRedirect(_ page: Page, _ method: String, _ path: String) throws -> Page {
        guard page.status == .seeOther || page.status == .found else {
            throw Failure.unexpected(method: method, path: path, status: page.status)
        }
        return page
    }

    var csrfToken: String? {
        guard let range = lastPage.range(of: #"name="csrf_token" value=""#) else { return nil }
        let rest = lastPage[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: ByteBuffer?, contentType: String?) async throws -> Page {
        var headers = HTTPHeaders()
        if let contentType { headers.replaceOrAdd(name: .contentType, value: contentType) }
        if !cookies.isEmpty {
            headers.replaceOrAdd(name: .cookie, value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        let request = Request(
            application: app, method: method, url: URI(string: path), headers: headers, collectedBody: body,
            remoteAddress: nil, logger: app.logger, on: app.eventLoopGroup.next())
        let response = try await app.responder.current.respond(to: request).get()
        for header in response.headers[.setCookie] {
            let pair = header.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces), value = String(pair[1])
            if value.isEmpty || header.lowercased().contains("max-age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        let collected = try await response.body.collect(on: request.eventLoop).get()
        let text = collected.map { String(buffer: $0) } ?? ""
        if response.headers.contentType?.subType == "html" { lastPage = text }
        return Page(status: response.status, location: response.headers.first(name: .location), text: text)
    }

    private static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._*")
        return (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value).replacingOccurrences(of: "%20", with: "+")
    }
}
