import Leaf
import LeafKit
import Vapor

/// `#t("key", arg…)`: copy from the message files in the page's language.
struct TranslateTag: LeafTag {
    func render(_ ctx: LeafContext) throws -> LeafData {
        guard let key = ctx.parameters.first?.string, let request = ctx.request else {
            throw LeafError(.unknownError("#t needs a message key"))
        }
        let arguments = ctx.parameters.dropFirst().map { $0.string ?? "" }
        return .string(request.application.messages.text(key, request.language, Array(arguments)))
    }
}

/// `#url("name", param…)`: a path from `SiteURL`, so templates never type one.
struct URLTag: LeafTag {
    func render(_ ctx: LeafContext) throws -> LeafData {
        guard let name = ctx.parameters.first?.string, let url = SiteURL(name: name) else {
            throw LeafError(.unknownError("#url: unknown route name \(ctx.parameters.first?.string ?? "")"))
        }
        return .string(url.path(ctx.parameters.dropFirst().map { $0.string ?? "" }))
    }
}

/// `#csrfToken()`: the token every form carries in `csrf_token`.
struct CSRFTokenTag: LeafTag {
    func render(_ ctx: LeafContext) throws -> LeafData {
        guard let request = ctx.request else { throw LeafError(.unknownError("#csrfToken needs a request")) }
        // A page rendered for `PublicPageCache` gets a marker; each visitor's token replaces it.
        if request.storage[RenderingForCacheKey.self] == true { return .string(PublicPageCache.tokenMarker) }
        return .string(request.csrfToken)
    }
}

extension Application {
    func registerLeafTags() {
        leaf.tags["t"] = TranslateTag()
        leaf.tags["url"] = URLTag()
        leaf.tags["csrfToken"] = CSRFTokenTag()
    }
}
