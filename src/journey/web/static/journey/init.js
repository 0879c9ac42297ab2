// GOV.UK Frontend's components (a module file, not inline, for the Content-Security-Policy).
import { initAll } from '../vendor/govuk-frontend/govuk-frontend.min.js';

initAll();
