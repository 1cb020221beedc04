import Foundation
import Vapor

/// The `usps` verifier (P5): standardises an address with the USPS Addresses v3 API
/// (OAuth2 client credentials; the token is cached until shortly before it expires) and
/// finds its coverage flags with an ArcGIS geocoder and point-in-layer queries.
/// Any outage throws `AddressVerifierUnavailable`, which the pages turn into "try again".
struct USPSAddressVerifier: AddressVerifier {
    let settings: AddressSettings
    let client: any Client
    let tokens: TokenCache
    let logger: Logger

    /// The OAuth2 token, shared by every request of this server until it expires.
    actor TokenCache {
        private var token: (value: String, expires: Date)?

        func valid(now: Date) -> String? {
            guard let token, token.expires > now else { return nil }
            return token.value
        }

        func store(_ value: String, lifetime: TimeInterval, now: Date) {
            token = (value, now.addingTimeInterval(max(0, lifetime - 60)))
        }

        func forget() { token = nil }
    }

    struct TokenResponse: Decodable {
        let access_token: String
        let expires_in: Double?
    }

    struct LookupResponse: Decodable {
        struct Standardised: Decodable {
            let streetAddress: String?
            let secondaryAddress: String?
            let city: String?
            let state: String?
            let ZIPCode: String?
        }
        struct Info: Decodable { let DPVConfirmation: String? }
        struct Match: Decodable { let code: String? }
        let address: Standardised?
        let additionalInfo: Info?
        let matches: [Match]?
    }

    struct Candidates: Decodable {
        struct Candidate: Decodable {
            struct Location: Decodable { let x: Double, y: Double }
            let location: Location
            let score: Double
        }
        let candidates: [Candidate]?
    }

    struct CountResponse: Decodable { let count: Int? }

    func verify(_ input: AddressInput) async throws -> AddressVerification {
        guard let found = try await lookUp(input, retryOnUnauthorised: true) else { return .notFound }
        let coverage = try await coverage(of: found)
        let verified = VerifiedAddress(
            street: found.street, unit: found.unit, city: found.city, state: found.state, zip: found.zip, coverage: coverage)
        let same =
            input.street.uppercased() == found.street.uppercased() && input.unit.uppercased() == found.unit.uppercased()
            && input.city.uppercased() == found.city.uppercased() && input.state.uppercased() == found.state.uppercased()
            && AddressNormaliser.zip5(input.zip) == AddressNormaliser.zip5(found.zip)
        return same ? .exact(verified) : .suggestion(verified)
    }

    private func lookUp(_ input: AddressInput, retryOnUnauthorised: Bool) async throws -> AddressInput? {
        let token = try await accessToken()
        var url = URI(string: settings.uspsURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/addresses/v3/address")
        url.query = Self.query([
            ("streetAddress", input.street), ("secondaryAddress", input.unit), ("city", input.city),
            ("state", input.state.uppercased()), ("ZIPCode", AddressNormaliser.zip5(input.zip) ?? input.zip),
        ])
        let response = try await send {
            try await client.get(url, headers: ["Authorization": "Bearer \(token)", "Accept": "application/json"])
        }
        switch response.status.code {
        case 200:
            guard let body = try? response.content.decode(LookupResponse.self), let address = body.address,
                let street = address.streetAddress, let city = address.city, let state = address.state, let zip = address.ZIPCode,
                body.additionalInfo?.DPVConfirmation != "N"
            else { return nil }
            return AddressInput(street: street, unit: address.secondaryAddress ?? "", city: city, state: state, zip: zip)
        case 400, 404:
            return nil
        case 401 where retryOnUnauthorised:
            await tokens.forget()
            return try await lookUp(input, retryOnUnauthorised: false)
        default:
            logger.warning("usps look-up failed", metadata: ["status": "\(response.status.code)"])
            throw AddressVerifierUnavailable()
        }
    }

    private func accessToken() async throws -> String {
        if let token = await tokens.valid(now: Date()) { return token }
        let url = URI(string: settings.uspsURL.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/oauth2/v3/token")
        let response = try await send {
            try await client.post(url) { request in
                try request.content.encode(
                    [
                        "grant_type": "client_credentials", "client_id": settings.uspsClientID,
                        "client_secret": settings.uspsClientSecret, "scope": "addresses",
                    ], as: .json)
            }
        }
        guard response.status == .ok, let token = try? response.content.decode(TokenResponse.self) else {
            logger.warning("usps token request failed", metadata: ["status": "\(response.status.code)"])
            throw AddressVerifierUnavailable()
        }
        await tokens.store(token.access_token, lifetime: token.expires_in ?? 3600, now: Date())
        return token.access_token
    }

    /// Geocodes the standardised address, then asks each coverage layer whether the point
    /// falls inside it. An address the geocoder cannot place has no coverage flags (staff
    /// can grant an exception).
    private func coverage(of address: AddressInput) async throws -> Set<String> {
        var geocode = URI(string: settings.geocoderURL)
        geocode.query = Self.query([
            ("SingleLine", "\(address.street), \(address.city), \(address.state) \(address.zip)"), ("outFields", "Score"),
            ("maxLocations", "1"), ("f", "json"),
        ])
        let located = try await send { try await client.get(geocode) }
        guard located.status == .ok, let candidates = try? located.content.decode(Candidates.self) else {
            throw AddressVerifierUnavailable()
        }
        guard let best = candidates.candidates?.max(by: { $0.score < $1.score }), best.score >= settings.geocodeMinimumScore else {
            return []
        }
        var flags = Set<String>()
        for (flag, layer) in settings.coverageLayers {
            var query = URI(string: layer)
            query.query = Self.query([
                ("geometry", "\(best.location.x),\(best.location.y)"), ("geometryType", "esriGeometryPoint"),
                ("spatialRel", "esriSpatialRelIntersects"), ("returnCountOnly", "true"), ("f", "json"),
            ])
            let answer = try await send { try await client.get(query) }
            guard answer.status == .ok, let count = try? answer.content.decode(CountResponse.self) else {
                throw AddressVerifierUnavailable()
            }
            if (count.count ?? 0) > 0 { flags.insert(flag) }
        }
        return flags
    }

    /// Runs one outside call; a network failure or time-out means "unavailable".
    private func send(_ call: () async throws -> ClientResponse) async throws -> ClientResponse {
        do {
            return try await call()
        } catch {
            logger.warning("address service unreachable", metadata: ["error": "\(type(of: error))"])
            throw AddressVerifierUnavailable()
        }
    }

    static func query(_ items: [(String, String)]) -> String {
        var components = URLComponents()
        components.queryItems = items.map { URLQueryItem(name: $0.0, value: $0.1) }
        return components.percentEncodedQuery ?? ""
    }
}
