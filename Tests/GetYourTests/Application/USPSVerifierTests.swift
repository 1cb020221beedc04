import Foundation
import Synchronization
import Testing
import Vapor
import VaporTesting

@testable import GetYour

/// A stand-in for the USPS and ArcGIS services, listening on 127.0.0.1 for one test.
final class StubAddressServices: Sendable {
    let app: Application
    let port: Int
    let tokenRequests = Mutex(0)
    let lookups = Mutex<[String]>([])
    /// When set, the look-up answers with this status (outage tests).
    let failWith = Mutex<HTTPResponseStatus?>(nil)

    private init(app: Application, port: Int) {
        self.app = app
        self.port = port
    }

    static func start() async throws -> StubAddressServices {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        let holder = Mutex<StubAddressServices?>(nil)
        app.post("oauth2", "v3", "token") { request -> Response in
            holder.withLock { $0 }?.tokenRequests.withLock { $0 += 1 }
            let body = try request.content.decode([String: String].self)
            guard body["grant_type"] == "client_credentials", body["client_id"] == "stub-id", body["client_secret"] == "stub-secret" else {
                return Response(status: .unauthorized)
            }
            let json = #"{"access_token":"token-\#(UUID().uuidString.prefix(6))","token_type":"Bearer","expires_in":28800}"#
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: json))
        }
        app.get("addresses", "v3", "address") { request -> Response in
            let stub = holder.withLock { $0 }!
            if let status = stub.failWith.withLock({ $0 }) { return Response(status: status) }
            guard request.headers.first(name: .authorization)?.hasPrefix("Bearer token-") == true else {
                return Response(status: .unauthorized)
            }
            let street = (try? request.query.get(String.self, at: "streetAddress")) ?? ""
            stub.lookups.withLock { $0.append(street) }
            let known = ["300 CIVIC CENTER DR": ("FORT COLLINS", "80521"), "1200 COUNTY RD 54G": ("LAPORTE", "80535")]
            let key = AddressNormaliser.canonical(street)
            guard let (city, zip) = known[key] else {
                return Response(status: .notFound, body: .init(string: #"{"error":{"message":"Address Not Found."}}"#))
            }
            let json =
                #"{"firm":"","address":{"streetAddress":"\#(key)","secondaryAddress":"","city":"\#(city)","state":"CO","ZIPCode":"\#(zip)","ZIPPlus4":"2713"},"additionalInfo":{"DPVConfirmation":"Y"},"corrections":[],"matches":[{"code":"31","text":"Single Response - exact match"}]}"#
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: json))
        }
        app.get("geocode", "findAddressCandidates") { request -> Response in
            let line = (try? request.query.get(String.self, at: "SingleLine")) ?? ""
            let inTown = line.contains("CIVIC CENTER")
            let json =
                #"{"candidates":[{"address":"x","location":{"x":\#(inTown ? 3128000 : 3100000),"y":1450000},"score":\#(inTown ? 98 : 95)}]}"#
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: json))
        }
        for layer in ["service", "city"] {
            app.get("layers", .constant(layer), "query") { request -> Response in
                let geometry = (try? request.query.get(String.self, at: "geometry")) ?? ""
                let count = geometry.hasPrefix("3128000") ? 1 : 0
                return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: #"{"count":\#(count)}"#))
            }
        }
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = app.http.server.shared.localAddress?.port ?? 0
        let stub = StubAddressServices(app: app, port: port)
        holder.withLock { $0 = stub }
        return stub
    }

    var base: String { "http://127.0.0.1:\(port)" }

    func settings() throws -> Settings {
        try TestApp.settings(variables: [
            "GETYOUR_ADDRESS_VERIFIER": "usps", "GETYOUR_ADDRESS_USPS_URL": base,
            "GETYOUR_ADDRESS_USPS_CLIENT_ID": "stub-id", "GETYOUR_ADDRESS_USPS_CLIENT_SECRET": "stub-secret",
            "GETYOUR_ADDRESS_GEOCODER_URL": base + "/geocode/findAddressCandidates",
            "GETYOUR_ADDRESS_COVERAGE_LAYERS": "in_service_area=\(base)/layers/service/query;city_covered=\(base)/layers/city/query",
        ])
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }
}

@Suite("The usps verifier against a local stub (P5)")
struct USPSVerifierTests {
    func withStub(_ body: (StubAddressServices, Application) async throws -> Void) async throws {
        let stub = try await StubAddressServices.start()
        do {
            try await TestApp.run(try stub.settings()) { app in try await body(stub, app) }
            try await stub.stop()
        } catch {
            try? await stub.stop()
            throw error
        }
    }

    let typed = AddressInput(street: "300 Civic Center Dr", unit: "", city: "Fort Collins", state: "CO", zip: "80521")

    @Test func aKnownAddressIsStandardisedWithItsCoverageAndTheTokenIsReused() async throws {
        try await withStub { stub, app in
            // Differing only in case counts as the same address (as in the original).
            let first = try await app.addressVerifier.verify(typed)
            guard case .exact(let found) = first else {
                Issue.record("expected an exact match, got \(first)")
                return
            }
            #expect(found.street == "300 CIVIC CENTER DR" && found.city == "FORT COLLINS")
            #expect(found.coverage == ["in_service_area", "city_covered"])
            let corrected = try await app.addressVerifier.verify(
                AddressInput(street: "300 Civic Center Drive", unit: "", city: "Fort Collins", state: "CO", zip: "80521"))
            guard case .suggestion(let suggestion) = corrected else {
                Issue.record("a differently written address should come back as a suggestion")
                return
            }
            #expect(suggestion.street == "300 CIVIC CENTER DR")
            #expect(stub.tokenRequests.withLock { $0 } == 1)
            #expect(stub.lookups.withLock { $0.count } == 2)
        }
    }

    @Test func anOutOfAreaAddressHasNoCoverageAndAnUnknownOneIsNotFound() async throws {
        try await withStub { _, app in
            let outside = try await app.addressVerifier.verify(
                AddressInput(street: "1200 County Rd 54G", unit: "", city: "Laporte", state: "CO", zip: "80535"))
            guard case .exact(let found) = outside else {
                Issue.record("expected a standardised address, got \(outside)")
                return
            }
            #expect(found.coverage.isEmpty)
            #expect(
                try await app.addressVerifier.verify(AddressInput(street: "1 Nowhere Ln", unit: "", city: "X", state: "CO", zip: "80521"))
                    == .notFound)
        }
    }

    @Test func anOutageOfTheServiceIsUnavailableNotNotFound() async throws {
        try await withStub { stub, app in
            stub.failWith.withLock { $0 = .badGateway }
            await #expect(throws: AddressVerifierUnavailable.self) { try await app.addressVerifier.verify(typed) }
            // Through the page: a 503 "try again" with what was typed kept.
            let browser = Browser(app)
            try await browser.signUp()
            try await browser.get("/apply/address")
            let response = try await browser.post("/apply/address", StepValidationTests.goodAddress)
            #expect(response.status == .serviceUnavailable)
            #expect(response.text.contains("value=\"300 Civic Center Dr\""))
        }
    }

    @Test func theWholeAddressStepWorksThroughTheRealVerifier() async throws {
        try await withStub { _, app in
            let browser = Browser(app)
            try await browser.signUp()
            try await browser.get("/apply/address")
            var typed = StepValidationTests.goodAddress.filter { $0.0 != "street" }
            typed.append(("street", "300 civic center drive"))
            let response = try await browser.post("/apply/address", typed)
            #expect(response.headers.first(name: .location) == "/apply/address/confirm")
            try await browser.get("/apply/address/confirm")
            try await browser.post("/apply/address/confirm", [("choice", "suggested")])
            let address = try #require(try await Address.query(on: app.db(.primary)).first())
            #expect(address.street == "300 CIVIC CENTER DR" && address.verified)
            #expect(Set(address.coverage) == ["in_service_area", "city_covered"])
        }
    }

    @Test func uspsSettingsNameTheirMissingSecrets() throws {
        #expect(
            throws: SettingsError.missingSecrets(
                environment: "local", variables: ["GETYOUR_ADDRESS_USPS_CLIENT_ID", "GETYOUR_ADDRESS_USPS_CLIENT_SECRET"])
        ) {
            try Settings.load(
                root: TestApp.root,
                environmentVariables: [
                    "GETYOUR_ADDRESS_VERIFIER": "usps", "GETYOUR_ADDRESS_GEOCODER_URL": "https://gis.example/geocode",
                    "GETYOUR_ADDRESS_COVERAGE_LAYERS": "in_service_area=https://gis.example/26/query",
                ])
        }
    }
}
