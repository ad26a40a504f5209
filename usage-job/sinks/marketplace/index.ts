/** The AWS Marketplace sink: what the sink runner and config wire (docs/marketplace.md). */
export { createMarketplaceSink, MARKETPLACE_SINK_NAME, type MarketplaceSinkOptions } from './marketplace-sink';
export {
  resolveMarketplaceConfig,
  type MarketplaceSinkConfig,
  type MarketplaceDimensions,
  type MarketplaceIdentityMode,
} from '../../../config/marketplace-sink';
