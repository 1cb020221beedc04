import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import GetYour

@Suite("Public pages and the address check (P3 step 1)")
struct PublicPagesTests {
    @Test func theLandingPageAndProgramsPageListActivePrograms() async throws {
        try await TestApp.run { app in
            try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "connexion").set(\.$active, to: false).update()
            for path in ["/", "/programs"] {
                let page = try await Browser(app).get(path).text
                #expect(page.contains("Grocery Tax Rebate") && page.contains("Transit and e-scooter access"))
                #expect(!page.contains("Discounted Internet"), "\(path) lists an inactive program")
                #expect(page.contains("https://www.fcgov.com/rebate/"))
            }
            #expect(try await Browser(app).get("/programs?lang=es").text.contains("Reembolso del impuesto sobre alimentos"))
        }
    }

    @Test(arguments: [
        (
            [("street", "300 Civic Center Dr"), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521")],
            "is in the Get-Your service area"
        ),
        ([("street", "1200 County Road 54G"), ("city", "Laporte"), ("state", "CO"), ("zip", "80535")], "is outside our service area"),
        ([("street", "9 Imaginary Way"), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521")], "could not find this address"),
    ])
    func theAddressCheckAnswersInsideOutsideOrNotFound(form: [(String, String)], answer: String) async throws {
        try await TestApp.run { app in
            let browser = Browser(app)
            try await browser.get("/")
            let response = try await browser.post("/address-check", form)
            #expect(response.status == .ok)
            #expect(response.text.contains(answer))
            #expect(response.text.contains("value=\"\(form[0].1)\""))
        }
    }

    @Test func theAddressCheckExplainsBadInputAndIsRateLimited() async throws {
        try await TestApp.run(try TestApp.settings(variables: ["GETYOUR_LIMITS_ADDRESS_CHECKS": "2"])) { app in
            let browser = Browser(app)
            try await browser.get("/")
            let bad = try await browser.post(
                "/address-check", [("street", ""), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521")])
            #expect(bad.status == .unprocessableEntity)
            #expect(bad.text.contains("Enter the street address"))
            let form = [("street", "300 Civic Center Dr"), ("city", "Fort Collins"), ("state", "CO"), ("zip", "80521")]
            #expect(try await browser.post("/address-check", form).status == .ok)
            #expect(try await browser.post("/address-check", form).status == .ok)
            let limited = try await browser.post("/address-check", form)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.text.contains("Too many attempts"))
        }
    }
}

@Suite("Reference data (getyour seed)")
struct ReferenceDataTests {
    func snapshot(_ app: Application) async throws -> [String] {
        let eligibility = try await EligibilityProgram.query(on: app.db(.primary)).sort(\.$slug).all()
            .map { "\($0.slug) \($0.amiLevel) \($0.active) \($0.nameEN) \($0.id!)" }
        let benefits = try await BenefitProgram.query(on: app.db(.primary)).sort(\.$slug).all()
            .map { "\($0.slug) \($0.ceiling) \($0.requires) \($0.autoApply) \($0.nameEN) \($0.id!)" }
        return eligibility + benefits
    }

    @Test func seedingTwiceChangesNothing() async throws {
        try await TestApp.run { app in
            let before = try await snapshot(app)  // TestApp already seeded once
            #expect(before.count == 9)
            try await runCommand(app, "seed")
            #expect(try await snapshot(app) == before)
            #expect(
                try await app.seedReferenceData()
                    == "Reference data loaded: 0 created, 9 already present and kept as they are (--reset overwrites them).")
            #expect(try await app.seedReferenceData(reset: true) == "Reference data loaded: 0 created, 0 reset from the file.")
            #expect(try await snapshot(app) == before)
        }
    }

    @Test func resetFromAnEditedFileUpdatesTextAndThresholdsAndNeverDeletes() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("settings"), withIntermediateDirectories: true)
        for item in ["local.toml", "messages", "addresses.csv", "common-passwords.txt"] {
            try FileManager.default.copyItem(
                at: TestApp.root.appendingPathComponent("settings/\(item)"), to: root.appendingPathComponent("settings/\(item)"))
        }
        var text = try String(contentsOf: TestApp.root.appendingPathComponent("settings/programs.toml"), encoding: .utf8)
        try text.write(to: root.appendingPathComponent("settings/programs.toml"), atomically: true, encoding: .utf8)
        var settings = try TestApp.settings()
        settings.paths.root = root
        try await TestApp.run(settings) { app in
            let recreation = try #require(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "recreation").first())
            // Edit: a new ceiling and name for recreation; grocery removed from the file.
            text = text.replacingOccurrences(of: "ceiling = \"0.40\"", with: "ceiling = \"0.50\"")
                .replacingOccurrences(of: "name_en = \"Recreation Reduced Fee\"", with: "name_en = \"Recreation Discount\"")
            let groceryStart = text.range(of: "[[benefit_programs]]\nslug = \"grocery\"")!
            let next = text.range(of: "[[benefit_programs]]", range: groceryStart.upperBound..<text.endIndex)!
            text.removeSubrange(groceryStart.lowerBound..<next.lowerBound)
            try text.write(to: root.appendingPathComponent("settings/programs.toml"), atomically: true, encoding: .utf8)
            // Without --reset the database keeps what it has (admins edit programs in the app).
            _ = try await app.seedReferenceData()
            #expect(try await BenefitProgram.find(recreation.id, on: app.db(.primary))?.ceiling == 40)
            #expect(try await app.seedReferenceData(reset: true) == "Reference data loaded: 0 created, 1 reset from the file.")
            let updated = try #require(try await BenefitProgram.find(recreation.id, on: app.db(.primary)))
            #expect(updated.ceiling == 50 && updated.nameEN == "Recreation Discount")
            #expect(try await BenefitProgram.query(on: app.db(.primary)).filter(\.$slug == "grocery").count() == 1)
        }
    }

    @Test func programTextFallsBackToEnglishWhenSpanishIsMissing() throws {
        let program = BenefitProgram()
        program.nameEN = "Grocery Tax Rebate"
        program.nameES = nil
        #expect(program.name(.es) == "Grocery Tax Rebate")
        program.nameES = "Reembolso"
        #expect(program.name(.es) == "Reembolso")
    }

    /// Reports every program text the shipped reference data has only in English.
    @Test func theShippedReferenceDataHasSpanishForEveryText() throws {
        let data = try ReferenceData.load(from: TestApp.root.appendingPathComponent("settings/programs.toml"))
        var missing: [String] = []
        for entry in data.eligibility_programs {
            if entry.name_es == nil { missing.append("\(entry.slug).name_es") }
            if entry.document_es == nil { missing.append("\(entry.slug).document_es") }
        }
        for entry in data.benefit_programs {
            for (field, value) in [
                ("name_es", entry.name_es), ("category_es", entry.category_es), ("description_es", entry.description_es),
            ] where value == nil {
                missing.append("\(entry.slug).\(field)")
            }
            if entry.review_period_en != nil && entry.review_period_es == nil { missing.append("\(entry.slug).review_period_es") }
        }
        #expect(missing == [], "Spanish text missing (English is shown instead): \(missing)")
    }
}
