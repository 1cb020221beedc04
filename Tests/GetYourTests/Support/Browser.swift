import Foundation
import NIOHTTP1
import Testing
import Vapor
import VaporTesting

/// A test stand-in for a person's browser: keeps cookies between requests, and fills in the
/// CSRF token from the last page it saw, as a real form would.
final class Browser {
    let app: Application
    private(set) var cookies: [String: String] = [:]
    private(set) var lastPage = ""
    var headers: HTTPHeaders = [:]
    /// Through a real socket on 127.0.0.1 instead of in memory (the request then has a peer
    /// address, as behind a proxy).
    var overTheNetwork = false

    init(_ app: Application) {
        self.app = app
    }

    /// The `csrf_token` of the last page's form.
    var csrfToken: String? { Self.csrfToken(in: lastPage) }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: #"name="csrf_token" value=""#) else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    @discardableResult
    func get(_ path: String, headers extra: HTTPHeaders = [:]) async throws -> TestingHTTPResponse {
        try await send(.GET, path, body: nil, contentType: nil, headers: extra)
    }

    /// Posts a url-encoded form; adds the current CSRF token unless `csrf` is false.
    @discardableResult
    func post(_ path: String, _ fields: [(String, String)] = [], csrf: Bool = true, headers extra: HTTPHeaders = [:]) async throws
        -> TestingHTTPResponse
    {
        var all = fields
        if csrf, let token = csrfToken ?? cookies["getyour_csrf"] { all.append(("csrf_token", token)) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(.POST, path, body: ByteBuffer(string: body), contentType: "application/x-www-form-urlencoded", headers: extra)
    }

    /// Posts raw bytes with a content type (multipart uploads build their own body).
    @discardableResult
    func post(_ path: String, body: ByteBuffer, contentType: String, headers extra: HTTPHeaders = [:]) async throws -> TestingHTTPResponse {
        try await send(.POST, path, body: body, contentType: contentType, headers: extra)
    }

    private func send(_ method: HTTPMethod, _ path: String, body: ByteBuffer?, contentType: String?, headers extra: HTTPHeaders)
        async throws -> TestingHTTPResponse
    {
        var request = TestingHTTPRequest(method: method, url: URI(path: path), headers: headers, body: body ?? ByteBuffer())
        if let contentType { request.headers.replaceOrAdd(name: .contentType, value: contentType) }
        if !cookies.isEmpty {
            request.headers.replaceOrAdd(name: .cookie, value: cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        for (name, value) in extra { request.headers.replaceOrAdd(name: name, value: value) }
        let response = try await app.testing(method: overTheNetwork ? .running(hostname: "127.0.0.1", port: 0) : .inMemory)
            .performTest(request: request)
        for header in response.headers[.setCookie] {
            let pair = header.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            let value = String(pair[1])
            if value.isEmpty || header.lowercased().contains("max-age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        if response.headers.contentType?.subType == "html" { lastPage = response.body.string }
        return response
    }

    /// Follows a 303/302 redirect with a GET, as a browser does.
    @discardableResult
    func follow(_ response: TestingHTTPResponse) async throws -> TestingHTTPResponse {
        guard let location = response.headers.first(name: .location) else {
            Issue.record("expected a redirect, got \(response.status)")
            return response
        }
        return try await get(location)
    }

    func forgetCookie(_ name: String) { cookies[name] = nil }
    func setCookie(_ name: String, _ value: String) { cookies[name] = value }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._*"))) ?? text
    }
}
