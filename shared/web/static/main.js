// Entry point: every page module registers its routes, then the app starts.
// A page module imports what it needs from app.js; nothing imports main.js.
import { start } from './app.js';
import './page-signin.js';
import './page-calls.js';
import './page-application.js';
import './page-review-list.js';
import './page-review-application.js';
import './page-call-admin.js';
import './page-riparto.js';
import './page-correction.js';
import './page-public.js';

start();
