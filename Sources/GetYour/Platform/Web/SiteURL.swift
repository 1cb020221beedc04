import Foundation
import RoutingKit
import Vapor

/// Every URL of the app, defined once (style 4). Routes are registered from these patterns
/// and templates build links with `#url("name", …)`, so no path is typed twice.
/// The P13 URLs are a public contract: add cases, never change an existing pattern.
public enum SiteURL: String, CaseIterable, Sendable {
    // Public
    case home = "/"
    case healthz = "/healthz"
    case metrics = "/metrics"
    case stylesheet = "/css/site.css"
    case publicPrograms = "/programs"
    case addressCheck = "/address-check"
    case feedback = "/feedback"

    // Accounts (P3 steps 3, 12, 13)
    case signup = "/signup"
    case login = "/login"
    case logout = "/logout"
    case passwordReset = "/password-reset"
    case passwordResetToken = "/password-reset/:token"
    case settings = "/settings"
    case settingsProfile = "/settings/profile"
    case settingsPassword = "/settings/password"
    case settingsExport = "/settings/export"
    case settingsMailing = "/settings/mailing"
    case settingsContact = "/settings/contact"
    case settingsDelete = "/settings/delete"
    case settingsEmail = "/settings/email"
    case settingsEmailConfirm = "/settings/email/confirm/:token"
    case signupCheckEmail = "/signup/check-email"
    case signupConfirm = "/signup/confirm/:token"
    case twoFactor = "/login/two-factor"

    // Resident application (P13)
    case apply = "/apply"
    case getReady = "/apply/get-ready"
    case address = "/apply/address"
    case addressConfirm = "/apply/address/confirm"
    case household = "/apply/household"
    case members = "/apply/members"
    case memberNew = "/apply/members/new"
    case member = "/apply/members/:id"
    case memberDelete = "/apply/members/:id/delete"
    case programsStep = "/apply/programs"
    case documents = "/apply/documents"
    case documentUpload = "/apply/documents/:item"
    case documentDelete = "/apply/documents/file/:id/delete"
    case review = "/apply/review"
    case submit = "/apply/submit"
    case submitted = "/apply/submitted"
    case respond = "/apply/respond"
    case renewalChanges = "/apply/changes"
    case renew = "/renew"
    case document = "/documents/:id"

    // Dashboard (P3 step 11)
    case dashboard = "/dashboard"
    case programApply = "/dashboard/programs/:slug/apply"
    case proof = "/dashboard/proof"

    // Staff
    case staff = "/staff"
    case staffHousehold = "/staff/households/:id"
    case staffDocument = "/staff/documents/:id"
    case staffDocumentReview = "/staff/documents/:id/review"
    case staffVerify = "/staff/applications/:id/verify"
    case staffRequestInfo = "/staff/applications/:id/request-info"
    case staffDeny = "/staff/applications/:id/deny"
    case staffNotes = "/staff/households/:id/notes"
    case staffCoverage = "/staff/households/:id/coverage"
    case staffCoverageRefresh = "/staff/households/:id/coverage/refresh"
    case staffAccount = "/staff/households/:id/account"
    case twoFactorSetup = "/staff/two-factor/setup"
    case recoveryCodes = "/staff/two-factor/recovery-codes"
    case adminStaff = "/staff/admin/staff"
    case staffFailedMessages = "/staff/messages/failed"
    case staffProgram = "/staff/programs/:slug"
    case staffFeedback = "/staff/feedback"
    case staffAudit = "/staff/audit"
    case staffProgramDecisions = "/staff/programs/:slug/decisions"
    case staffProgramExport = "/staff/programs/:slug/export.csv"
    case adminStaffResetTwoFactor = "/staff/admin/staff/:id/two-factor/reset"
    case adminStaffMember = "/staff/admin/staff/:id"
    case adminPrograms = "/staff/admin/programs"
    case staffAnalytics = "/staff/analytics"
    case staffDocumentReplace = "/staff/documents/:id/replace"
    case staffRenewal = "/staff/households/:id/renewal"
    case staffRenewals = "/staff/renewals"
    case adminProgramNew = "/staff/admin/programs/:kind/new"
    case adminProgram = "/staff/admin/programs/:kind/:slug"

    /// The pattern with `:name` placeholders, as registered with the router.
    public var pattern: String { rawValue }

    /// The pattern as router path components.
    var components: [PathComponent] { rawValue.pathComponents }

    /// The path with placeholders filled in order.
    public func path(_ parameters: String...) -> String { path(parameters) }

    public func path(_ parameters: [String]) -> String {
        var remaining = parameters[...]
        var path = ""
        for part in Self.segments[self] ?? [] {
            path += "/"
            guard part.hasPrefix(":"), let value = remaining.popFirst() else {
                path += part
                continue
            }
            // Ids and slugs need no escaping; anything else is percent-encoded.
            path += value.utf8.allSatisfy(Self.isUnreserved) ? value : Self.escaped(value)
        }
        return path.isEmpty ? "/" : path
    }

    private static func escaped(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? value
    }

    /// RFC 3986's unreserved characters.
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
    }

    /// Each pattern split at `/` once (pages build dozens of links each).
    private static let segments: [SiteURL: [String]] = Dictionary(
        uniqueKeysWithValues: allCases.map { ($0, $0.rawValue.split(separator: "/").map(String.init)) })

    /// Finds a case by its Swift name, as templates write it.
    public init?(name: String) {
        guard let found = Self.byName[name] else { return nil }
        self = found
    }

    private static let byName: [String: SiteURL] = Dictionary(
        uniqueKeysWithValues: allCases.map { ("\($0)", $0) })
}

extension Application {
    /// An absolute link for emails, built from `app.public_base_url` (never from the request's
    /// Host header, which a client controls).
    func link(to url: SiteURL, _ parameters: String...) -> String {
        settings.publicBaseURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + url.path(parameters)
    }
}
