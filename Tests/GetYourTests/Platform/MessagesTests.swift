import Foundation
import Testing

@testable import GetYour

@Suite("English and Spanish copy (style 9)")
struct MessagesTests {
    let messages = try! Messages.load(from: TestApp.root.appendingPathComponent("settings/messages"))

    @Test(arguments: Language.allCases)
    func everyKeyExistsInEveryLanguage(language: Language) {
        #expect(messages.keysMissing(in: language).sorted() == [])
    }

    /// Every `#t("…")` key a template uses must exist, or the page would show the raw key.
    @Test func everyKeyUsedByATemplateExists() throws {
        let templates = TestApp.root.appendingPathComponent("Templates")
        let files =
            FileManager.default.enumerator(at: templates, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "leaf" } ?? []
        #expect(!files.isEmpty)
        let pattern = try Regex(#"#t\("([a-z0-9_.]+)""#)
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in text.matches(of: pattern) {
                let key = String(match.output[1].substring ?? "")
                let exists = messages.has(key)
                #expect(exists, "\(file.lastPathComponent) uses missing key \(key)")
            }
        }
    }

    @Test func placeholdersAreFilledInOrder() {
        let table = Messages(table: [.en: ["step": "Step {1} of {2}"], .es: ["step": "Paso {1} de {2}"]])
        #expect(table.text("step", .es, ["3", "8"]) == "Paso 3 de 8")
        #expect(table.text("missing.key", .es) == "missing.key")
    }
}
