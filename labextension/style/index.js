import './base.css';
import './viewer.css';
import './viewer-panel.css';
import './viewer-display.css';
import './viewer-transform.css';
import './tree.css';
import './jobs.css';
import './admin.css';
