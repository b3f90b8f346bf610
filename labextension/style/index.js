import './base.css';
import './viewer.css';
import './viewer-panel.css';
