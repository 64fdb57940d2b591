import Crypto
import Foundation
import SwiftASN1
import X509

/// A private CA for the local servers: it signs their TLS certificates and the client certificates tests use.
public struct CertificateAuthority: Sendable {
    public let certificatePEM: String
    let certificate: Certificate
    let key: P256.Signing.PrivateKey

    /// A certificate and its private key, both PEM.
    public struct Issued: Sendable {
        public let certificatePEM: String
        public let privateKeyPEM: String
    }

    public init(commonName: String = "agw-sandbox CA") throws {
        let key = P256.Signing.PrivateKey()
        self.key = key
        let name = try DistinguishedName {
            OrganizationName("kubectl-agw sandbox")
            CommonName(commonName)
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86400 * 365),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
            },
            issuerPrivateKey: .init(key))
        self.certificate = certificate
        certificatePEM = try certificate.serializeAsPEM().pemString + "\n"
    }

    /// A server certificate for loopback names (`localhost`, `127.0.0.1`, `::1`) plus any extra DNS names.
    public func issueServer(dnsNames: [String] = []) throws -> Issued {
        var names: [GeneralName] = [
            .dnsName("localhost"), .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
            .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
        ]
        names += dnsNames.map { .dnsName($0) }
        return try issue(commonName: dnsNames.first ?? "localhost", organizations: [], usage: .serverAuth, alternativeNames: names)
    }

    /// A client certificate: Kubernetes reads the user from CN and the groups from O.
    public func issueClient(user: String, groups: [String] = []) throws -> Issued {
        try issue(commonName: user, organizations: groups, usage: .clientAuth, alternativeNames: [])
    }

    private func issue(commonName: String, organizations: [String], usage: ExtendedKeyUsage.Usage, alternativeNames: [GeneralName])
        throws -> Issued
    {
        let leafKey = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            for organization in organizations { OrganizationName(organization) }
            CommonName(commonName)
        }
        let now = Date()
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(86400 * 30),
            issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([usage])
                if !alternativeNames.isEmpty { SubjectAlternativeNames(alternativeNames) }
            },
            issuerPrivateKey: .init(key))
        return Issued(certificatePEM: try leaf.serializeAsPEM().pemString + "\n", privateKeyPEM: leafKey.pemRepresentation + "\n")
    }

    /// The subject's common name and organizations of a DER certificate (how the API server names a client).
    public static func identity(fromDER bytes: [UInt8]) -> (user: String, groups: [String])? {
        guard let certificate = try? Certificate(derEncoded: bytes) else { return nil }
        var user: String?
        var groups: [String] = []
        for relativeName in certificate.subject {
            for attribute in relativeName {
                let text = attribute.value.description
                if attribute.type == .RDNAttributeType.commonName { user = text }
                if attribute.type == .RDNAttributeType.organizationName { groups.append(text) }
            }
        }
        return user.map { ($0, groups) }
    }
}
