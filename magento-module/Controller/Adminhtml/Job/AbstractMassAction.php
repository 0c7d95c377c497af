<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Job;

use Cronkeeper\Scheduler\Api\JobActionsInterface;
use Cronkeeper\Scheduler\Api\ServiceClientInterface;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\GraphQl\Queries;
use Cronkeeper\Scheduler\Model\Grid\SelectionResolver;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpPostActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * One mass action of the Schedules grid: resolve the selection, one mutation, a message, back to the grid.
 */
abstract class AbstractMassAction extends Action implements HttpPostActionInterface
{
    public function __construct(
        Context $context,
        protected readonly JobActionsInterface $jobActions,
        private readonly ServiceClientInterface $client,
        private readonly SelectionResolver $selectionResolver
    ) {
        parent::__construct($context);
    }

    /**
     * @param list<string> $codes
     * @return int how many jobs (or runs) the service reports as affected
     */
    abstract protected function apply(array $codes): int;

    abstract protected function successMessage(int $count): \Magento\Framework\Phrase;

    public function execute()
    {
        $redirect = $this->resultFactory->create(ResultFactory::TYPE_REDIRECT);
        $redirect->setPath('*/*/');
        try {
            $codes = $this->selectionResolver->resolve(
                $this->getRequest()->getParams(),
                function (array $variables): array {
                    $jobs = $this->client->execute(Queries::JOBS, $variables)['jobs'] ?? [];
                    return [array_column($jobs['nodes'] ?? [], 'code'), (int)($jobs['totalCount'] ?? 0)];
                }
            );
            if ($codes === []) {
                $this->messageManager->addErrorMessage(__('Select at least one job.'));
                return $redirect;
            }
            $this->messageManager->addSuccessMessage($this->successMessage($this->apply($codes)));
        } catch (GraphQlException | \OverflowException $e) {
            $this->messageManager->addErrorMessage(__('Cronkeeper: %1', $e->getMessage()));
        }
        return $redirect;
    }
}
