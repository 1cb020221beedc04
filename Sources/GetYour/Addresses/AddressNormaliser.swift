import Foundation

/// Turns typed addresses into a canonical form for matching and de-duplication: upper case,
/// no punctuation, USPS abbreviations for street types, directions and unit designators.
enum AddressNormaliser {
    static let abbreviations: [String: String] = [
        "STREET": "ST", "AVENUE": "AVE", "DRIVE": "DR", "ROAD": "RD", "LANE": "LN", "COURT": "CT",
        "PLACE": "PL", "TRAIL": "TRL", "BOULEVARD": "BLVD", "CIRCLE": "CIR", "PARKWAY": "PKWY",
        "HIGHWAY": "HWY", "TERRACE": "TER", "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
        "APARTMENT": "APT", "SUITE": "STE", "NUMBER": "UNIT", "#": "UNIT", "COUNTY": "COUNTY",
    ]

    /// "4821 aspen ridge drive" → "4821 ASPEN RIDGE DR".
    static func canonical(_ text: String) -> String {
        let cleaned = text.uppercased()
            .replacingOccurrences(of: "#", with: " # ")
            .map { $0.isLetter || $0.isNumber || $0 == "#" ? $0 : " " }
        return String(cleaned).split(separator: " ").map { abbreviations[String($0)] ?? String($0) }.joined(separator: " ")
    }

    /// The first five digits of a ZIP or ZIP+4, or nil.
    static func zip5(_ text: String) -> String? {
        let digits = text.filter(\.isNumber)
        guard digits.count == 5 || digits.count == 9, text.allSatisfy({ $0.isNumber || $0 == "-" || $0 == " " }) else { return nil }
        return String(digits.prefix(5))
    }

    /// The de-duplication key of a standardised address.
    static func key(street: String, unit: String, zip: String) -> String {
        [canonical(street), canonical(unit), zip5(zip) ?? zip].joined(separator: "|")
    }
}
