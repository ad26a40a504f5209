/** The Stripe sink's public surface (docs/stripe.md): the lead wires config and the CLI to these. */
export { createStripeSink, type StripeSink, type StripeSinkOptions } from './stripe-sink';
export { stripeSinkConfigError, MAX_INVOICE_GRACE_HOURS, type StripeSinkConfig } from '../../../config/stripe-sink';
export { credentialsFromEnvironment, credentialsFromSecret, STRIPE_API_BASE, type StripeCredentials } from './api-key';
export { reconcileStripe, type ReconcileInput, type ReconcileReport, type ReconcileMismatch } from './reconcile';
export { carriedTotals } from './ledger';
