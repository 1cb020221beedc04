import Foundation

/// Validation and normalisation of the contact details people type.
enum ContactRules {
    /// A US phone number in E.164 (`+19705551234`), or nil when it is not one: 10 digits
    /// (or 11 starting with 1) whose area code and exchange do not start with 0 or 1 (NANP).
    static func usPhone(_ text: String) -> String? {
        let allowed = CharacterSet(charactersIn: "0123456789+-(). ")
        guard !text.isEmpty, text.unicodeScalars.allSatisfy(allowed.contains) else { return nil }
        var digits = text.filter(\.isNumber)
        if digits.count == 11, digits.hasPrefix("1") { digits.removeFirst() }
        guard digits.count == 10 else { return nil }
        let areaCode = digits.prefix(3), exchange = digits.dropFirst(3).prefix(3)
        guard let a = areaCode.first, let e = exchange.first, !"01".contains(a), !"01".contains(e) else { return nil }
        return "+1" + digits
    }

    /// "(970) 555-1234" for display.
    static func displayPhone(_ e164: String) -> String {
        let digits = e164.filter(\.isNumber).suffix(10)
        guard digits.count == 10 else { return e164 }
        let d = Array(digits)
        return "(\(String(d[0..<3]))) \(String(d[3..<6]))-\(String(d[6..<10]))"
    }

    /// A plausible email address: one `@`, a local part, a dotted domain of letters, digits
    /// and hyphens, nothing longer than the standards allow. Delivery proves the rest.
    static func isEmail(_ text: String) -> Bool {
        guard text.count <= 254, !text.contains(where: { $0.isWhitespace || $0.isNewline }) else { return false }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...64).contains(parts[0].count), !parts[0].hasPrefix("."), !parts[0].hasSuffix(".") else {
            return false
        }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let tld = labels.last, tld.count >= 2, tld.allSatisfy(\.isLetter) else { return false }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }

    /// Trims a name and limits it; nil when empty.
    static func name(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    static let maxNameLength = 100

    /// Checks a first and last name pair into `errors`, with the page's own "required" keys.
    static func checkNames(first: String?, last: String?, firstKey: String, lastKey: String, into errors: inout FormErrors) {
        for (field, value, requiredKey) in [("first_name", first, firstKey), ("last_name", last, lastKey)] {
            let name = self.name(value ?? "")
            if name == nil { errors.add(field, requiredKey) }
            if (name?.count ?? 0) > maxNameLength { errors.add(field, "signup.error.name_too_long", ["\(maxNameLength)"]) }
        }
    }

    /// Only paths on this site may be returned to after sign-in (P10: no open redirects).
    static func safeLocalPath(_ text: String?) -> String? {
        guard let text, text.hasPrefix("/"), !text.hasPrefix("//"), !text.hasPrefix("/\\"),
            text.count <= 512,
            !text.contains(where: { $0.isNewline || $0 == "\\" || ($0.asciiValue ?? 32) < 32 }),
            let components = URLComponents(string: text), components.scheme == nil, components.host == nil
        else { return nil }
        return text
    }
}
