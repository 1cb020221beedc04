import Vapor

/// How the app's own cookies are set: always `HttpOnly` and `SameSite=Lax`; `Secure` with the
/// `__Host-` prefix outside `local` so no subdomain can plant them (P10). They are session
/// cookies: the server, not the browser, decides when a session ends.
struct CookieSettings: Sendable {
    let secure: Bool

    var sessionName: String { secure ? "__Host-getyour_session" : "getyour_session" }
    var csrfName: String { secure ? "__Host-getyour_csrf" : "getyour_csrf" }
    var languageName: String { "getyour_lang" }

    func value(_ text: String) -> HTTPCookies.Value {
        HTTPCookies.Value(string: text, path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }

    func expired() -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/",
            isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }
}
