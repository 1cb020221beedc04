import Vapor

/// What the base layout needs on every page (style 7: typed, display-ready).
public struct LayoutContext: Encodable, Sendable {
    let lang: String
    let otherLang: String
    let titleKey: String
    let bannerKey: String?
    let signedIn: Bool
    let version: String
}

extension Request {
    /// The layout values for a page titled by the message `titleKey`.
    public func layout(titleKey: String) -> LayoutContext {
        let settings = application.settings
        return LayoutContext(
            lang: language.rawValue,
            otherLang: language == .en ? Language.es.rawValue : Language.en.rawValue,
            titleKey: titleKey,
            bannerKey: settings.environment.bannerKey,
            signedIn: browserSession.userID != nil,
            version: settings.version)
    }
}
