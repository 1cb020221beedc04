import Foundation

/// The `local` verifier (default in local, dev and tests): looks addresses up in the
/// address-point file `settings/addresses.csv`, whose columns after the ZIP are coverage flags.
struct LocalAddressVerifier: AddressVerifier {
    let points: [String: VerifiedAddress]

    enum Problem: Error, CustomStringConvertible {
        case badFile(String)
        var description: String {
            switch self {
            case .badFile(let reason): "settings/addresses.csv: \(reason)"
            }
        }
    }

    static func load(from file: URL) throws -> LocalAddressVerifier {
        let lines = try String(contentsOf: file, encoding: .utf8).split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("#") }
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map(String.init),
            header.prefix(5) == ["street", "unit", "city", "state", "zip"]
        else { throw Problem.badFile("the first line must start with street,unit,city,state,zip") }
        let flagNames = Array(header.dropFirst(5))
        var points: [String: VerifiedAddress] = [:]
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count == header.count else {
                throw Problem.badFile("line \"\(line)\" has \(cells.count) cells, expected \(header.count)")
            }
            let flags = Set(zip(flagNames, cells.dropFirst(5)).filter { $0.1 == "true" }.map(\.0))
            let address = VerifiedAddress(street: cells[0], unit: cells[1], city: cells[2], state: cells[3], zip: cells[4], coverage: flags)
            points[AddressNormaliser.canonical(cells[0]) + "|" + AddressNormaliser.canonical(cells[1])] = address
        }
        return LocalAddressVerifier(points: points)
    }

    func verify(_ input: AddressInput) async throws -> AddressVerification {
        let key = AddressNormaliser.canonical(input.street) + "|" + AddressNormaliser.canonical(input.unit)
        guard let found = points[key] else { return .notFound }
        let typedSame =
            input.street.uppercased() == found.street.uppercased()
            && input.unit.uppercased() == found.unit.uppercased()
            && input.city.uppercased() == found.city.uppercased()
            && input.state.uppercased() == found.state.uppercased()
            && AddressNormaliser.zip5(input.zip) == found.zip
        return typedSame ? .exact(found) : .suggestion(found)
    }
}
