import SpanwatchApp
import Testing

@Suite struct CommunityIDSectionTests {
    @Test func seedIsSixteenBits() throws {
        #expect(try configuration("community_id:\n  seed: 65535\n").engine.communityIDSeed == 65535)
        #expect(refusal("community_id:\n  seed: 65536\n")?.contains("'community_id.seed' must be 0-65535") == true)
    }
}
