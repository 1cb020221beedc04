import Vapor

/// What the base layout needs on every page (style 7: typed, display-ready).
public struct LayoutContext: Encodable, Sendable {
    let lang: String
    let otherLang: String
    let titleKey: String
    /// Titles start with "Error:" when the page shows form errors, so screen readers hear it first.
    let hasErrors: Bool
    let bannerKey: String?
    let signedIn: Bool
    let isStaff: Bool
    let version: String
    /// Minutes without activity before sign-out, for the note signed-in pages show.
    let idleMinutes: Int
    /// How residents reach the city (footer and every "contact us").
    let contact: ContactLinks
}

/// The city's email and phone with their `mailto:` and `tel:` targets.
public struct ContactLinks: Encodable, Sendable {
    let email: String
    let phone: String
    let tel: String

    init(_ contact: CityContact) {
        email = contact.email
        phone = contact.phone
        let digits = contact.phone.filter(\.isASCII).filter(\.isNumber)
        tel = digits.count == 10 ? "+1" + digits : (contact.phone.hasPrefix("+") ? "+" : "") + digits
    }
}

extension Request {
    /// The layout values for a page titled by the message `titleKey`.
    public func layout(titleKey: String, hasErrors: Bool = false) -> LayoutContext {
        let settings = application.settings
        return LayoutContext(
            lang: language.rawValue,
            otherLang: language == .en ? Language.es.rawValue : Language.en.rawValue,
            titleKey: titleKey,
            hasErrors: hasErrors,
            bannerKey: settings.environment.bannerKey,
            signedIn: browserSession.userID != nil,
            isStaff: browserSession["role"].map { $0 != "resident" } ?? false,
            version: settings.version,
            idleMinutes: Int(settings.session.idleTimeout(role: browserSession["role"]) / 60),
            contact: ContactLinks(settings.contact))
    }
}
