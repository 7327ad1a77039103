// Starts every GOV.UK Frontend component on the page (loaded as a module by base.html).
import { initAll } from "./govuk-frontend.min.js";

initAll();
