import Foundation
import Testing

@testable import GetYour

@Suite("TOTP (RFC 6238), base32 and the QR code")
struct TOTPTests {
    /// RFC 6238 Appendix B, SHA-1 rows: the key is "12345678901234567890", 8 digits.
    @Test(arguments: [
        (59.0, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"), (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ])
    func rfc6238TestVectors(time: Double, expected: String) {
        let totp = TOTP(secret: Array("12345678901234567890".utf8), digits: 8)
        #expect(totp.code(at: Date(timeIntervalSince1970: time)) == expected)
    }

    @Test func sixDigitCodesAreTheLastSixAndDriftOfOneStepIsAccepted() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let now = Date(timeIntervalSince1970: 1_111_111_109)
        #expect(totp.code(at: now) == "081804")
        let previous = totp.code(at: now.addingTimeInterval(-30)), later = totp.code(at: now.addingTimeInterval(30))
        #expect(totp.matchingStep(previous, at: now) == totp.step(at: now) - 1)
        #expect(totp.matchingStep(later, at: now) == totp.step(at: now) + 1)
        #expect(totp.matchingStep(totp.code(at: now.addingTimeInterval(-90)), at: now) == nil)
        #expect(totp.matchingStep("12345", at: now) == nil)
        #expect(totp.matchingStep("abcdef", at: now) == nil)
    }

    /// RFC 4648 §10.
    @Test(arguments: [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI"),
    ])
    func base32TestVectors(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded.lowercased()) == Array(plain.utf8))
    }

    @Test func theProvisioningURINamesIssuerAccountAndSecret() {
        let uri = TOTP.provisioningURI(secret: Array("12345678901234567890".utf8), account: "sam@example.org", issuer: "Get-Your")
        #expect(uri.hasPrefix("otpauth://totp/Get-Your:sam@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Get-Your"))
    }

    @Test func sealedSecretsOpenOnlyWithTheirKey() throws {
        let sealed = try SealedSecret.seal([1, 2, 3], secretKey: "one key")
        #expect(SealedSecret.open(sealed, secretKey: "one key") == [1, 2, 3])
        #expect(SealedSecret.open(sealed, secretKey: "another key") == nil)
    }

    @Test func qrCodeHasItsFixedPatterns() throws {
        let code = try QRCode(text: "otpauth://totp/Get-Your:sam@example.org?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Get-Your")
        #expect(code.size == code.version * 4 + 17)
        // Finder patterns in three corners, each with a light separator.
        for (x, y) in [(0, 0), (code.size - 7, 0), (0, code.size - 7)] {
            #expect(code.modules[y][x] && code.modules[y + 6][x + 6] && !code.modules[y + 1][x + 1] && code.modules[y + 3][x + 3])
        }
        // Timing pattern alternates between the finders.
        for index in 8..<(code.size - 8) { #expect(code.modules[6][index] == (index % 2 == 0)) }
        #expect(code.modules[code.size - 8][8])  // the dark module
        let svg = code.svg(title: "QR <code>")
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.contains("aria-label=\"QR &lt;code&gt;\""))
        #expect(throws: QRCode.Failure.self) { try QRCode(text: String(repeating: "x", count: 3000)) }
    }
}
