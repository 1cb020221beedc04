import Foundation
import Testing

@testable import GetYour

/// The signer against AWS's published examples: the Signature Version 4 test suite
/// (credentials AKIDEXAMPLE, service "service", 2015-08-30T12:36:00Z) and the worked examples
/// of the Amazon S3 API reference, "Signature Calculations for the Authorization Header:
/// Transferring Payload in a Single Chunk" (examplebucket, 2013-05-24).
@Suite("AWS Signature Version 4")
struct AWSSigV4Tests {
    static let suite = AWSSigV4(
        credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    static let s3 = AWSSigV4(
        credentials: .init(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "s3")
    static let suiteDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
    static let s3Date = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    static let empty = AWSSigV4.emptyPayloadHash

    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let s3: Bool
        let method: String
        let path: String
        let query: [URLQueryItem]
        let headers: [(String, String)]
        let payloadHash: String
        let signedHeaders: String
        let signature: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "get-vanilla", s3: false, method: "GET", path: "/", query: [], headers: [], payloadHash: empty,
            signedHeaders: "host;x-amz-date", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Vector(
            name: "get-vanilla-query-order-key-case", s3: false, method: "GET", path: "/",
            query: [URLQueryItem(name: "Param2", value: "value2"), URLQueryItem(name: "Param1", value: "value1")], headers: [],
            payloadHash: empty, signedHeaders: "host;x-amz-date",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Vector(
            name: "post-vanilla", s3: false, method: "POST", path: "/", query: [], headers: [], payloadHash: empty,
            signedHeaders: "host;x-amz-date", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Vector(
            name: "S3 GET Object (range)", s3: true, method: "GET", path: "/test.txt", query: [],
            headers: [("Range", "bytes=0-9"), ("x-amz-content-sha256", empty)], payloadHash: empty,
            signedHeaders: "host;range;x-amz-content-sha256;x-amz-date",
            signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
        Vector(
            name: "S3 PUT Object", s3: true, method: "PUT", path: "/" + AWSSigV4.encode("test$file.text", keepingSlashes: true), query: [],
            headers: [
                ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("x-amz-content-sha256", "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"),
            ],
            payloadHash: "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
            signedHeaders: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
            signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
        Vector(
            name: "S3 GET Bucket Lifecycle", s3: true, method: "GET", path: "/", query: [URLQueryItem(name: "lifecycle", value: nil)],
            headers: [("x-amz-content-sha256", empty)], payloadHash: empty, signedHeaders: "host;x-amz-content-sha256;x-amz-date",
            signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"),
        Vector(
            name: "S3 GET Bucket (list objects)", s3: true, method: "GET", path: "/",
            query: [URLQueryItem(name: "max-keys", value: "2"), URLQueryItem(name: "prefix", value: "J")],
            headers: [("x-amz-content-sha256", empty)], payloadHash: empty, signedHeaders: "host;x-amz-content-sha256;x-amz-date",
            signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
    ]

    @Test(arguments: vectors)
    func matchesThePublishedSignature(_ vector: Vector) {
        let signer = vector.s3 ? Self.s3 : Self.suite
        let added = signer.sign(
            method: vector.method, host: vector.s3 ? "examplebucket.s3.amazonaws.com" : "example.amazonaws.com", path: vector.path,
            query: vector.query, headers: vector.headers, payloadHash: vector.payloadHash, date: vector.s3 ? Self.s3Date : Self.suiteDate)
        let headers = Dictionary(added, uniquingKeysWith: { first, _ in first })
        let day = vector.s3 ? "20130524" : "20150830"
        #expect(headers["x-amz-date"] == (vector.s3 ? "20130524T000000Z" : "20150830T123600Z"))
        #expect(
            headers["Authorization"]
                == "AWS4-HMAC-SHA256 Credential=\(signer.credentials.accessKeyID)/\(day)/us-east-1/\(signer.service)/aws4_request, "
                + "SignedHeaders=\(vector.signedHeaders), Signature=\(vector.signature)")
    }

    @Test func aSessionTokenIsSentAndSigned() {
        var credentials = Self.suite.credentials
        credentials.sessionToken = "token/with+chars="
        let signer = AWSSigV4(credentials: credentials, region: "us-east-1", service: "service")
        let added = Dictionary(
            signer.sign(
                method: "GET", host: "example.amazonaws.com", path: "/", query: [], headers: [], payloadHash: Self.empty,
                date: Self.suiteDate),
            uniquingKeysWith: { first, _ in first })
        #expect(added["x-amz-security-token"] == "token/with+chars=")
        #expect(added["Authorization"]?.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,") == true)
        // A different token is a different signature.
        #expect(!(added["Authorization"]?.hasSuffix("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31") ?? true))
    }

    @Test func encodingKeepsOnlyUnreservedCharacters() {
        #expect(AWSSigV4.encode("a b/c~d+e$é", keepingSlashes: true) == "a%20b/c~d%2Be%24%C3%A9")
        #expect(AWSSigV4.encode("a/b") == "a%2Fb")
        #expect(AWSSigV4.encode("Az09-_.~") == "Az09-_.~")
    }
}
