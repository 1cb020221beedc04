import Foundation

/// The password rules of P10, each with its own message key: at least 12 characters, at
/// most 128, not one repeated character, not the email or the person's name, and not on the
/// bundled list of common passwords.
struct PasswordRules: Sendable {
    static let minimumLength = 12
    static let maximumLength = 128
    let commonPasswords: Set<String>

    /// Loads the list shipped in `settings/common-passwords.txt`.
    static func load(from file: URL) throws -> PasswordRules {
        let text = try String(contentsOf: file, encoding: .utf8)
        let entries = text.split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("#") }
            .map { $0.lowercased() }
        return PasswordRules(commonPasswords: Set(entries))
    }

    /// The message key of the first rule `password` breaks, or nil when it is acceptable.
    func problem(with password: String, email: String, names: [String]) -> String? {
        let length = password.count
        if length == 0 { return "password.error.required" }
        if length < Self.minimumLength { return "password.error.too_short" }
        if length > Self.maximumLength { return "password.error.too_long" }
        if Set(password).count == 1 { return "password.error.one_character" }
        let lowered = password.lowercased()
        let email = email.lowercased()
        let localPart = email.split(separator: "@").first.map(String.init) ?? email
        if !email.isEmpty, lowered == email || (localPart.count >= 4 && lowered.contains(localPart)) {
            return "password.error.contains_email"
        }
        // The name, or the name followed only by digits and punctuation ("maria.garcia2024").
        let compact = lowered.filter { !$0.isWhitespace }
        let nameForms = (names + [names.joined()]).map { $0.lowercased().filter { !$0.isWhitespace } }.filter { $0.count >= 3 }
        if nameForms.contains(where: { name in
            compact.hasPrefix(name) && compact.dropFirst(name.count).allSatisfy { $0.isNumber || $0.isPunctuation || $0.isSymbol }
        }) {
            return "password.error.is_name"
        }
        if isCommon(lowered) { return "password.error.common" }
        return nil
    }

    /// On the list as typed, with digits or symbols added around a listed word
    /// ("password1234", "!!dragon2024"), or as a listed word typed twice.
    func isCommon(_ lowered: String) -> Bool {
        let padding: (Character) -> Bool = { $0.isNumber || $0.isPunctuation || $0.isSymbol || $0.isWhitespace }
        let core = String(lowered.drop(while: padding).reversed().drop(while: padding).reversed())
        var candidates = [lowered, core]
        if core.count.isMultiple(of: 2), core.prefix(core.count / 2) == core.suffix(core.count / 2) {
            candidates.append(String(core.prefix(core.count / 2)))
        }
        return candidates.contains { $0.count >= 4 && commonPasswords.contains($0) }
    }
}
