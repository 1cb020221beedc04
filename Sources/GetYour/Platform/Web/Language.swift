import Vapor

/// The languages every page is written in (P3: English and Spanish).
public enum Language: String, Sendable, CaseIterable, Codable {
    case en, es

    /// Picks the best supported language from an `Accept-Language` header.
    static func preferred(acceptLanguage: String?) -> Language? {
        guard let header = acceptLanguage else { return nil }
        let ranked = header.split(separator: ",").compactMap { item -> (String, Double)? in
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first?.lowercased(), !tag.isEmpty else { return nil }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return (String(tag.prefix(2)), quality)
        }
        return ranked.sorted { $0.1 > $1.1 }.lazy.compactMap { Language(rawValue: $0.0) }.first
    }
}

enum LanguageKey: StorageKey { typealias Value = Language }

extension Request {
    /// The language this response is written in.
    public var language: Language {
        get { storage[LanguageKey.self] ?? .en }
        set { storage[LanguageKey.self] = newValue }
    }
}

/// Chooses the page language: an explicit `?lang=` (remembered in a cookie), then the
/// cookie, then the browser's `Accept-Language`, then English. Signed-in residents'
/// saved preference is applied by the accounts layer.
struct LanguageMiddleware: AsyncMiddleware {
    let cookie: CookieSettings

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let chosen = request.url.query == nil ? nil : (try? request.query.get(String.self, at: "lang")).flatMap(Language.init(rawValue:))
        request.language =
            chosen
            ?? request.cookies[cookie.languageName].flatMap { Language(rawValue: $0.string) }
            ?? Language.preferred(acceptLanguage: request.headers.first(name: .acceptLanguage))
            ?? .en
        let response = try await next.respond(to: request)
        // An explicit choice, or a signed-in person's saved preference, is remembered.
        if let remembered = chosen ?? request.storage[PendingLanguageCookieKey.self] {
            response.cookies[cookie.languageName] = cookie.value(remembered.rawValue)
        }
        response.headers.replaceOrAdd(name: .contentLanguage, value: request.language.rawValue)
        return response
    }
}
