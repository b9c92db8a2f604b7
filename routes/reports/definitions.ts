import { Router } from 'express';
import { TERMS } from '../../services/reports/definitions.ts';
import type { AppDeps } from '../support/deps.ts';
import { render } from '../support/render.ts';

/** The glossary: every figure's label and formula, as services/reports/definitions.ts defines them; each figure's label on a page links here. */
export function definitionRoutes(_deps: AppDeps): Router {
  const router = Router({ mergeParams: true });
  router.get('/definitions', (req, res) => {
    render(req, res, { page: 'pages/business/definitions.njk' }, { terms: TERMS });
  });
  return router;
}
